using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace PrescribeGuard.Server.Security;

/// <summary>
/// Mutual TLS: with Tls:ClientCertificateAuthorityPath set, TLS endpoints require a client
/// certificate issued by that authority alone (not by any CA the machine happens to trust).
/// </summary>
public static class MutualTls
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TlsOptions.Section).Get<TlsOptions>() ?? new TlsOptions();
        if (options.ClientCertificateAuthorityPath.Length == 0)
        {
            return;
        }

        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(options.ClientCertificateAuthorityPath));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) => IssuedBy(certificate, authority);
        }));
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(certificate);
    }
}
