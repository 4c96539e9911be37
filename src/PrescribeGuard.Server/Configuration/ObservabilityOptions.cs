namespace PrescribeGuard.Server.Configuration;

/// <summary>Settings under the "Observability" section (metrics, health publishing, reservation sweep).</summary>
public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>The Kestrel endpoint (Kestrel:Endpoints:NAME) that alone serves /metrics, /healthz and /readyz.</summary>
    public string EndpointName { get; set; } = "Metrics";

    /// <summary>
    /// At most this many distinct platform ids become label values; later ones are counted as
    /// "other", so a caller inventing platform ids cannot grow the series count without bound.
    /// </summary>
    public int MaxPlatformLabels { get; set; } = 50;

    /// <summary>How often the health checks run to update prescribeguard_dependency_up.</summary>
    public int HealthPublishSeconds { get; set; } = 10;

    /// <summary>
    /// When true, grpc.health.v1.Health/Check answers from the results last published (every
    /// <see cref="HealthPublishSeconds"/>) instead of pinging the ledger and cache on every call: for
    /// load balancers that probe many times a second, and for measuring a bare gRPC call. Off by
    /// default, so a probe sees a dependency failure at once.
    /// </summary>
    public bool HealthFromPublishedResults { get; set; }

    /// <summary>How often reservations this instance created are checked for expiry.</summary>
    public int ReservationSweepSeconds { get; set; } = 15;

    /// <summary>At most this many pending reservations are tracked for the expiry counter; more are counted as untracked.</summary>
    public int MaxTrackedReservations { get; set; } = 200_000;
}
