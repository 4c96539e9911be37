using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>TLS from Kestrel's endpoint settings, and mutual TLS against the configured client authority.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("prescribeguard-tls-").FullName;
    private readonly X509Certificate2 _authority = TestCertificates.Authority("PrescribeGuard test CA");
    private readonly X509Certificate2 _serverCertificate;

    public TlsTests() => _serverCertificate = TestCertificates.Server(_authority);

    [Fact]
    public async Task Guard_serves_grpc_over_tls()
    {
        await using var server = await GuardServer.StartAsync(settings: TlsSettings(mutual: false));
        Assert.Equal("https", server.Address.Scheme);
        using var channel = Channel(server.Address, clientCertificate: null);

        var decision = await Client(channel).CheckPrescriptionAsync(Requests.CleanCheck(server.Time.GetUtcNow()));

        Assert.Equal(Outcome.Allow, decision.Outcome);
    }

    [Fact]
    public async Task Mutual_tls_admits_only_clients_of_the_configured_authority()
    {
        await using var server = await GuardServer.StartAsync(settings: TlsSettings(mutual: true));
        var now = server.Time.GetUtcNow();

        using (var trusted = Channel(server.Address, TestCertificates.Client(_authority, "platform-a")))
        {
            Assert.Equal(Outcome.Allow, (await Client(trusted).CheckPrescriptionAsync(Requests.CleanCheck(now))).Outcome);
        }

        using (var anonymous = Channel(server.Address, clientCertificate: null))
        {
            await Assert.ThrowsAsync<RpcException>(() => Client(anonymous).CheckPrescriptionAsync(Requests.CleanCheck(now, "no-cert")).ResponseAsync);
        }

        using var stranger = Channel(server.Address, TestCertificates.Client(TestCertificates.Authority("Some other CA"), "platform-a"));
        await Assert.ThrowsAsync<RpcException>(() => Client(stranger).CheckPrescriptionAsync(Requests.CleanCheck(now, "other-ca")).ResponseAsync);
    }

    public void Dispose()
    {
        _serverCertificate.Dispose();
        _authority.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static PrescriptionGuard.PrescriptionGuardClient Client(GrpcChannel channel) =>
        new(channel.CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add("x-platform-id", "platform-a");
            return metadata;
        }));

    private GrpcChannel Channel(Uri address, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trust exactly the test server's certificate, not the machine's store.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == _serverCertificate.GetCertHashString(),
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            },
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
    }

    private Dictionary<string, string?> TlsSettings(bool mutual)
    {
        var pfx = Path.Combine(_folder, "server.pfx");
        File.WriteAllBytes(pfx, _serverCertificate.Export(X509ContentType.Pkcs12, "test-password"));
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Grpc:Certificate:Path"] = pfx,
            ["Kestrel:Endpoints:Grpc:Certificate:Password"] = "test-password",
        };
        if (mutual)
        {
            var authority = Path.Combine(_folder, "client-ca.pem");
            File.WriteAllText(authority, _authority.ExportCertificatePem());
            settings["Tls:ClientCertificateAuthorityPath"] = authority;
        }

        return settings;
    }
}
