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
}
