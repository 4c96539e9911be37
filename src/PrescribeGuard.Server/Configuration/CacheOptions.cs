namespace PrescribeGuard.Server.Configuration;

/// <summary>Settings under the "Cache" section.</summary>
public sealed class CacheOptions
{
    public const string Section = "Cache";

    /// <summary>"memory" (embedded default, in-process), "redis" or "none".</summary>
    public string Provider { get; set; } = "memory";

    /// <summary>How long an unused patient history stays cached.</summary>
    public int TtlSeconds { get; set; } = 600;

    /// <summary>At most this many patient histories in the in-process cache.</summary>
    public int MemoryEntries { get; set; } = 100_000;

    /// <summary>
    /// With Provider "redis": a StackExchange.Redis configuration string, e.g. "redis:6379" or
    /// "host1:6379,host2:6379,password=..."; connect/command timeouts come from the settings below.
    /// Redis entries live TtlSeconds ±10 %.
    /// </summary>
    public string? RedisConnection { get; set; }

    /// <summary>With Provider "redis": how long connecting may take (it keeps reconnecting in the background).</summary>
    public int RedisConnectTimeoutMs { get; set; } = 1000;

    /// <summary>With Provider "redis": how long one command may take before the check reads the ledger instead.</summary>
    public int RedisCommandTimeoutMs { get; set; } = 250;
}
