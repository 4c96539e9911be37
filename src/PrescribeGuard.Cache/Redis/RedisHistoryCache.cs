using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrescribeGuard.Cache.Serialization;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Caching;
using StackExchange.Redis;

namespace PrescribeGuard.Cache.Redis;

/// <summary>
/// Patient histories in Redis, shared by every guard instance. One GET per lookup, one SET (with a
/// jittered TTL) after a check, sent without waiting for its answer, one DEL after a write. Every
/// failure is caught, counted, logged at most once per <see cref="RedisHistoryCacheOptions.LogInterval"/>
/// and answered as a miss or a no-op; after a failure Redis is skipped for <see cref="RedisHistoryCacheOptions.BreakDuration"/>
/// and then tried again by one call at a time, so an outage costs the ledger's history reads and
/// nothing else. Correctness never depends on this cache: the ledger uses an entry only when its
/// revision is the one it read under the patient's lock.
/// </summary>
public sealed class RedisHistoryCache : IHistoryCache, IDisposable
{
    public const string MeterName = "PrescribeGuard.Cache";

    private const int MaxErrorLength = 300;

    private static readonly Action<ILogger, string, string, long, Exception?> LogFailure = LoggerMessage.Define<string, string, long>(
        LogLevel.Warning,
        new EventId(1, "RedisCacheFailure"),
        "Redis history cache failed on {Operation} ({Error}); checks read the ledger until it answers again ({Suppressed} further failures were not logged)");

    private static readonly Action<ILogger, long, Exception?> LogRestored = LoggerMessage.Define<long>(
        LogLevel.Information,
        new EventId(2, "RedisCacheRestored"),
        "Redis history cache answers again after {Failures} failures");

    private readonly IDatabase _database;
    private readonly RedisHistoryCacheOptions _options;
    private readonly ILogger _logger;
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _hitCounter;
    private readonly Counter<long> _missCounter;
    private readonly Counter<long> _errorCounter;
    private readonly Counter<long> _bypassCounter;
    private readonly Counter<long> _discardCounter;

    private long _hits;
    private long _misses;
    private long _errors;
    private long _bypassed;
    private long _discarded;
    private long _pendingWriteBacks;

    // Circuit breaker, on the monotonic clock (never the guard's TimeProvider, which tests freeze).
    private volatile bool _failing;
    private long _retryAfterMs;
    private int _probing;
    private long _failuresSinceHealthy;

    // Log throttle.
    private long _lastLogMs = long.MinValue / 2;
    private long _unlogged;

    private volatile string? _lastError;
    private long _lastErrorAtTicks;

    public RedisHistoryCache(
        IConnectionMultiplexer multiplexer,
        RedisHistoryCacheOptions options,
        ILogger<RedisHistoryCache>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxPendingWriteBacks);
        _database = multiplexer.GetDatabase();
        _options = options;
        _logger = logger ?? NullLogger<RedisHistoryCache>.Instance;

        Meter meter;
        if (meterFactory is null)
        {
            meter = _ownedMeter = new Meter(MeterName);
        }
        else
        {
            meter = meterFactory.Create(MeterName);
        }

        _hitCounter = meter.CreateCounter<long>("prescribeguard_cache_hits_total", description: "History lookups answered by Redis");
        _missCounter = meter.CreateCounter<long>("prescribeguard_cache_misses_total", description: "History lookups the ledger answered (absent, stale, corrupt, or Redis unavailable)");
        _errorCounter = meter.CreateCounter<long>("prescribeguard_cache_errors_total", description: "Redis commands that failed or timed out");
        _bypassCounter = meter.CreateCounter<long>("prescribeguard_cache_bypassed_total", description: "Cache calls not sent to Redis while it was failing (or, for write-backs, while too many were unanswered)");
        _discardCounter = meter.CreateCounter<long>("prescribeguard_cache_discarded_total", description: "Entries ignored as corrupt or of another schema version");
        meter.CreateObservableGauge("prescribeguard_cache_write_backs_pending", () => PendingWriteBacks, description: "History SETs sent to Redis and not yet answered");
        meter.CreateObservableGauge("prescribeguard_cache_healthy", () => IsHealthy ? 1 : 0, description: "1 while Redis answers, 0 after a failure");
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Calls answered without asking Redis because it had just failed, and write-backs skipped over <see cref="RedisHistoryCacheOptions.MaxPendingWriteBacks"/>.</summary>
    public long Bypassed => Interlocked.Read(ref _bypassed);

    /// <summary>Entries that were corrupt or of another format version.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>SETs sent and not yet answered (see <see cref="SetAsync"/>).</summary>
    public long PendingWriteBacks => Interlocked.Read(ref _pendingWriteBacks);

    /// <summary>False from a failure until Redis answers again.</summary>
    public bool IsHealthy => !_failing;

    public string? LastError => _lastError;

    public DateTimeOffset? LastErrorAt => Interlocked.Read(ref _lastErrorAtTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// Connects the one multiplexer a process should share: it does not fail when Redis is down,
    /// keeps reconnecting in the background, and fails commands at once while disconnected instead
    /// of queueing them.
    /// </summary>
    public static ConnectionMultiplexer Connect(RedisHistoryCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.SyncTimeout = (int)options.CommandTimeout.TotalMilliseconds;
        configuration.AsyncTimeout = (int)options.CommandTimeout.TotalMilliseconds;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 5000);
        configuration.ClientName ??= "prescribeguard";
        // Keep key names (which carry patient keys) out of exception messages, logs and health output.
        configuration.IncludeDetailInExceptions = false;
        return ConnectionMultiplexer.Connect(configuration);
    }

    public async ValueTask<PatientHistory?> GetAsync(PatientKey patientKey, long revision, CancellationToken cancellationToken) =>
        await ReadAsync(patientKey, revision).ConfigureAwait(false) is { } cached ? cached.History : null;

    /// <summary>
    /// The one read a check makes, before the patient's transaction, so no Redis round trip is
    /// ever made while the patient (or SQLite's single writer) is locked. A hit is an entry that
    /// decodes; the ledger still uses it only if its revision matches the ledger's.
    /// </summary>
    public ValueTask<CachedHistory?> GetLatestAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
        ReadAsync(patientKey, requiredRevision: null);

    private async ValueTask<CachedHistory?> ReadAsync(PatientKey patientKey, long? requiredRevision)
    {
        if (!TryEnter())
        {
            return Miss(bypassed: true);
        }

        var key = HistoryCacheKeys.History(patientKey);
        byte[]? value;
        try
        {
            value = (byte[]?)await _database.StringGetAsync(key).WaitAsync(_options.CommandTimeout, CancellationToken.None).ConfigureAwait(false);
            OnSuccess();
        }
        catch (Exception ex)
        {
            OnFailure("GET", ex);
            return Miss(bypassed: false);
        }

        if (value is null)
        {
            return Miss(bypassed: false);
        }

        var status = HistoryCodec.TryDecode(value, out var cachedRevision, out var history);
        if (status != DecodeStatus.Ok)
        {
            Discard(key);
            return Miss(bypassed: false);
        }

        if (requiredRevision is { } revision && cachedRevision != revision)
        {
            return Miss(bypassed: false);
        }

        Interlocked.Increment(ref _hits);
        _hitCounter.Add(1);
        return new CachedHistory(cachedRevision, history!);
    }

    /// <summary>
    /// Sends the SET and returns without waiting for Redis's answer, so a check that writes its
    /// history back still makes one round trip (its GET). The answer is awaited in the background
    /// and feeds the breaker as any other command's; the connection's own timeout (which
    /// <see cref="Connect"/> sets to <see cref="RedisHistoryCacheOptions.CommandTimeout"/>) ends a
    /// SET that is never answered, so <see cref="PendingWriteBacks"/> counts what the connection
    /// still has outstanding. Redis runs one connection's commands in the order they were sent, so
    /// this process's next GET or DEL for the patient comes after the SET (on one endpoint; in a
    /// cluster a SET re-sent after a MOVED may land late, which the revision check turns into a miss).
    /// </summary>
    public ValueTask SetAsync(PatientKey patientKey, long revision, PatientHistory history, CancellationToken cancellationToken)
    {
        // The limit first: a write-back skipped for it must not take the breaker's probe.
        if (Interlocked.Increment(ref _pendingWriteBacks) > _options.MaxPendingWriteBacks || !TryEnter())
        {
            // Redis is failing, or answering too slowly to keep up: a skipped write-back costs a later miss.
            Interlocked.Decrement(ref _pendingWriteBacks);
            Bypass();
            return ValueTask.CompletedTask;
        }

        Task<bool> write;
        try
        {
            var value = HistoryCodec.Encode(revision, history);
            write = _database.StringSetAsync(HistoryCacheKeys.History(patientKey), value, NextTtl());
        }
        catch (Exception ex)
        {
            Interlocked.Decrement(ref _pendingWriteBacks);
            OnFailure("SET", ex);
            return ValueTask.CompletedTask;
        }

        _ = AwaitWriteBackAsync(write);
        return ValueTask.CompletedTask;
    }

    private async Task AwaitWriteBackAsync(Task<bool> write)
    {
        try
        {
            await write.ConfigureAwait(false);
            OnSuccess();
        }
        catch (Exception ex)
        {
            OnFailure("SET", ex);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingWriteBacks);
        }
    }

    public async ValueTask InvalidateAsync(PatientKey patientKey, CancellationToken cancellationToken)
    {
        // Not required for correctness (a newer revision already makes the entry a miss), but it frees
        // the memory at once; when Redis is failing the entry simply expires.
        if (!TryEnter())
        {
            Bypass();
            return;
        }

        try
        {
            await _database.KeyDeleteAsync(HistoryCacheKeys.History(patientKey))
                .WaitAsync(_options.CommandTimeout, CancellationToken.None).ConfigureAwait(false);
            OnSuccess();
        }
        catch (Exception ex)
        {
            OnFailure("DEL", ex);
        }
    }

    /// <summary>For the health check: PING through the breaker; false while Redis is failing.</summary>
    public async Task<bool> PingAsync()
    {
        if (!TryEnter())
        {
            return false;
        }

        try
        {
            await _database.PingAsync().WaitAsync(_options.CommandTimeout, CancellationToken.None).ConfigureAwait(false);
            OnSuccess();
            return true;
        }
        catch (Exception ex)
        {
            OnFailure("PING", ex);
            return false;
        }
    }

    public void Dispose() => _ownedMeter?.Dispose();

    /// <summary>The TTL for one write: the base TTL spread by ±jitter.</summary>
    public TimeSpan NextTtl()
    {
        var factor = 1 + (_options.TtlJitter * ((2 * Random.Shared.NextDouble()) - 1));
        return TimeSpan.FromMilliseconds(Math.Max(1000, _options.Ttl.TotalMilliseconds * factor));
    }

    private bool TryEnter()
    {
        if (!_failing)
        {
            return true;
        }

        // Open: skip Redis until the break is over, then let one call at a time find out.
        return Environment.TickCount64 >= Interlocked.Read(ref _retryAfterMs) && Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
    }

    private void OnSuccess()
    {
        if (_failing)
        {
            _failing = false;
            LogRestored(_logger, Interlocked.Exchange(ref _failuresSinceHealthy, 0), null);
        }

        Volatile.Write(ref _probing, 0);
    }

    private void OnFailure(string operation, Exception exception)
    {
        var now = Environment.TickCount64;
        Interlocked.Exchange(ref _retryAfterMs, now + (long)_options.BreakDuration.TotalMilliseconds);
        _failing = true;
        Volatile.Write(ref _probing, 0);

        Interlocked.Increment(ref _errors);
        Interlocked.Increment(ref _failuresSinceHealthy);
        _errorCounter.Add(1, new KeyValuePair<string, object?>("operation", operation));
        var error = $"{exception.GetType().Name}: {exception.Message}";
        if (error.Length > MaxErrorLength)
        {
            error = error[..MaxErrorLength] + "…";
        }

        _lastError = error;
        Interlocked.Exchange(ref _lastErrorAtTicks, DateTimeOffset.UtcNow.UtcTicks);

        var lastLog = Interlocked.Read(ref _lastLogMs);
        if (now - lastLog >= (long)_options.LogInterval.TotalMilliseconds &&
            Interlocked.CompareExchange(ref _lastLogMs, now, lastLog) == lastLog)
        {
            LogFailure(_logger, operation, error, Interlocked.Exchange(ref _unlogged, 0), null);
        }
        else
        {
            Interlocked.Increment(ref _unlogged);
        }
    }

    private CachedHistory? Miss(bool bypassed)
    {
        if (bypassed)
        {
            Bypass();
        }

        Interlocked.Increment(ref _misses);
        _missCounter.Add(1);
        return null;
    }

    private void Bypass()
    {
        Interlocked.Increment(ref _bypassed);
        _bypassCounter.Add(1);
    }

    private void Discard(RedisKey key)
    {
        Interlocked.Increment(ref _discarded);
        _discardCounter.Add(1);
        try
        {
            // Fire and forget: the SET after this check replaces it anyway.
            _database.KeyDelete(key, CommandFlags.FireAndForget);
        }
        catch (Exception ex)
        {
            OnFailure("DEL", ex);
        }
    }
}
