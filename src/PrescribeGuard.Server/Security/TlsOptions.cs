namespace PrescribeGuard.Server.Security;

/// <summary>
/// Settings under "Tls". The server certificate itself is Kestrel's own endpoint setting
/// (Kestrel:Endpoints:Grpc:Certificate:Path / :Password with an https:// URL).
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Tls";

    /// <summary>
    /// PEM file of the certificate authority that issues platforms' client certificates. When set,
    /// every TLS connection must present a client certificate chaining to it (mutual TLS).
    /// </summary>
    public string ClientCertificateAuthorityPath { get; set; } = string.Empty;
}
