using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// The Kestrel endpoint that serves /metrics, /healthz and /readyz (Kestrel:Endpoints:Metrics by
/// default). Kestrel hands over its listen options when it binds, so the bound port is known even
/// when the configuration asks for port 0, and requests are told apart by the port they arrived on.
/// </summary>
public sealed class MetricsEndpoint
{
    private volatile ListenOptions? _listen;

    /// <summary>Whether the configuration declares the endpoint (and Kestrel bound it).</summary>
    public bool IsConfigured => _listen is not null;

    /// <summary>The bound address, e.g. http://127.0.0.1:9464; null before the server started or without the endpoint.</summary>
    public Uri? Address => _listen?.EndPoint is IPEndPoint { Port: > 0 } endPoint
        ? new Uri($"http://{Host(endPoint.Address)}:{endPoint.Port}")
        : null;

    /// <summary>Whether a request arrived on this endpoint.</summary>
    public bool Serves(HttpContext context) =>
        _listen?.EndPoint is IPEndPoint { Port: > 0 } endPoint && context.Connection.LocalPort == endPoint.Port;

    internal void Attach(ListenOptions listen) => _listen = listen;

    private static string Host(IPAddress address) =>
        address.Equals(IPAddress.Any) ? "127.0.0.1"
        : address.Equals(IPAddress.IPv6Any) ? "[::1]"
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]"
        : address.ToString();
}
