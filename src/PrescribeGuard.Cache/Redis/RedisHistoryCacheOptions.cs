namespace PrescribeGuard.Cache.Redis;

/// <summary>Settings of the Redis history cache; the defaults suit a Redis on the same network.</summary>
public sealed class RedisHistoryCacheOptions
{
    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis:6379</c> or <c>host1:6379,host2:6379,password=...</c>.</summary>
    public required string Configuration { get; init; }

    /// <summary>How long an entry lives before jitter; each write draws its TTL from ±<see cref="TtlJitter"/> around it.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>The relative spread of TTLs (0.1 = ±10 %), so entries written together do not expire together.</summary>
    public double TtlJitter { get; init; } = 0.1;

    /// <summary>How long connecting may take (the multiplexer keeps reconnecting in the background).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>How long one command may take before it counts as a failure and the check reads the ledger.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After a failure Redis is skipped for this long, so calls do not each wait out the timeout while it is down.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// At most this many write-backs awaiting Redis's answer; beyond it a write-back is skipped (and
    /// counted as bypassed), so a Redis that answers slowly cannot pile up memory in the guard.
    /// </summary>
    public int MaxPendingWriteBacks { get; init; } = 4096;

    /// <summary>At most one warning per this interval while Redis keeps failing.</summary>
    public TimeSpan LogInterval { get; init; } = TimeSpan.FromSeconds(5);
}
