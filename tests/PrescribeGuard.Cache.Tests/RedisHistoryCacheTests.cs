using System.Diagnostics;
using PrescribeGuard.Cache.Redis;
using PrescribeGuard.Cache.Serialization;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace PrescribeGuard.Cache.Tests;

/// <summary>The cache against a real redis-server shared by this class.</summary>
public sealed class RedisHistoryCacheTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private ConnectionMultiplexer _multiplexer = null!;
    private RedisHistoryCache _cache = null!;

    private IDatabase Database => _multiplexer.GetDatabase();

    public async Task InitializeAsync()
    {
        // What these tests check is what the cache stores and answers, not how fast: with the default
        // 250 ms a GET timed out (868 ms) on this 2-core machine while another test process ran, failing a
        // round trip. The timeout and the breaker are tested with the default by the tests that build
        // their own cache (a killed or stalled Redis).
        var options = new RedisHistoryCacheOptions { Configuration = redis.ConnectionString, CommandTimeout = TimeSpan.FromSeconds(5) };
        _multiplexer = RedisHistoryCache.Connect(options);
        await Connected.WaitAsync(_multiplexer);
        _cache = new RedisHistoryCache(_multiplexer, options);
        await Database.PingAsync();
    }

    public async Task DisposeAsync()
    {
        _cache.Dispose();
        await _multiplexer.DisposeAsync();
    }

    [Fact]
    public async Task Set_then_get_round_trips_a_full_history()
    {
        var patient = Histories.NewPatient();
        var history = Histories.Full();

        Assert.Null(await _cache.GetAsync(patient, 3, default));
        await _cache.SetAsync(patient, 3, history, default);
        var cached = await _cache.GetAsync(patient, 3, default);

        Histories.AssertSame(history, cached);
        Assert.Equal(1, _cache.Hits);
        Assert.Equal(1, _cache.Misses);
        Assert.Equal(0, _cache.Errors);
        Assert.True(_cache.IsHealthy);
    }

    [Fact]
    public async Task Another_revision_is_a_miss_and_invalidate_removes_the_entry()
    {
        var patient = Histories.NewPatient();
        await _cache.SetAsync(patient, 5, Histories.Full(), default);

        Assert.Null(await _cache.GetAsync(patient, 6, default));
        Assert.Null(await _cache.GetAsync(patient, 4, default));
        Assert.NotNull(await _cache.GetAsync(patient, 5, default));

        await _cache.InvalidateAsync(patient, default);
        Assert.False(await Database.KeyExistsAsync(HistoryCacheKeys.History(patient)));
        Assert.Null(await _cache.GetAsync(patient, 5, default));
        Assert.Equal(1, _cache.Hits);
        Assert.Equal(3, _cache.Misses);
    }

    [Fact]
    public async Task Key_is_schema_versioned_and_hash_tagged_by_patient()
    {
        var patient = Histories.NewPatient();
        await _cache.SetAsync(patient, 1, PatientHistory.Empty, default);

        var expected = $"pg:v1:{{{patient.Value}}}:history";
        Assert.Equal(expected, (string?)HistoryCacheKeys.History(patient));
        Assert.True(await Database.KeyExistsAsync(expected));
        // Redis Cluster puts the key in the slot of the tag alone.
        Assert.Equal(_multiplexer.HashSlot(patient.Value), _multiplexer.HashSlot(expected));
        var server = _multiplexer.GetServer(_multiplexer.GetEndPoints().Single());
        var keys = server.Keys(pattern: $"*{patient.Value}*").Select(k => k.ToString()).ToArray();
        Assert.Equal(new[] { expected }, keys);
    }

    [Fact]
    public async Task Ttl_is_set_with_jitter_within_ten_percent_of_the_base()
    {
        var ttls = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var patient = Histories.NewPatient();
            await _cache.SetAsync(patient, 1, PatientHistory.Empty, default);
            var ttl = await Database.KeyTimeToLiveAsync(HistoryCacheKeys.History(patient));
            Assert.NotNull(ttl);
            ttls.Add(ttl.Value.TotalSeconds);
        }

        Assert.All(ttls, ttl => Assert.InRange(ttl, 539, 660));
        Assert.True(ttls.Max() - ttls.Min() > 5, $"TTLs are not spread: {string.Join(", ", ttls)}");
    }

    public static TheoryData<string> BadEntries => new() { "garbage", "flipped", "truncated", "old-schema", "empty" };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public async Task Corrupt_or_old_schema_entry_is_a_miss_and_is_replaced_by_the_next_set(string kind)
    {
        var patient = Histories.NewPatient();
        var key = HistoryCacheKeys.History(patient);
        var good = HistoryCodec.Encode(9, Histories.Full());
        byte[] bad = kind switch
        {
            "garbage" => "{\"not\":\"ours\"}"u8.ToArray(),
            "flipped" => Flip(good, good.Length / 2),
            "truncated" => good[..(good.Length - 3)],
            "old-schema" => OldSchema(good),
            _ => [],
        };
        await Database.StringSetAsync(key, bad);

        Assert.Null(await _cache.GetAsync(patient, 9, default));
        Assert.Equal(1, _cache.Discarded);
        Assert.Equal(0, _cache.Errors);

        await _cache.SetAsync(patient, 9, Histories.Full(), default);
        Histories.AssertSame(Histories.Full(), await _cache.GetAsync(patient, 9, default));
        Assert.Equal(good.Length, ((byte[]?)await Database.StringGetAsync(key))!.Length);
    }

    [Fact]
    public async Task Corrupt_entry_is_deleted_on_read()
    {
        var patient = Histories.NewPatient();
        var key = HistoryCacheKeys.History(patient);
        await Database.StringSetAsync(key, "garbage");

        Assert.Null(await _cache.GetAsync(patient, 1, default));
        // The delete is fire-and-forget on the same connection: the next command sees it.
        Assert.False(await Database.KeyExistsAsync(key));
    }

    [Fact]
    public async Task Set_returns_before_redis_answers_and_the_entry_lands_when_it_does()
    {
        // A long command timeout: the SET must outlast the pause without failing.
        var options = new RedisHistoryCacheOptions
        {
            Configuration = redis.ConnectionString,
            CommandTimeout = TimeSpan.FromSeconds(30),
        };
        await using var multiplexer = RedisHistoryCache.Connect(options);
        await Connected.WaitAsync(multiplexer);
        using var cache = new RedisHistoryCache(multiplexer, options);
        var patient = Histories.NewPatient();
        // Redis holds every write command for 3 s; the SET cannot be answered before then.
        await using var paused = await PausedWrites.StartAsync(redis, TimeSpan.FromSeconds(3));
        await cache.SetAsync(patient, 4, Histories.Full(), default);
        Assert.Equal(1, cache.PendingWriteBacks);
        Assert.False(await paused.Database.KeyExistsAsync(HistoryCacheKeys.History(patient)));

        await EventuallyAsync(() => cache.PendingWriteBacks == 0, "the SET was never answered");
        Histories.AssertSame(Histories.Full(), await cache.GetAsync(patient, 4, default));
        Assert.Equal(0, cache.Errors);
        Assert.True(cache.IsHealthy);
    }

    [Fact]
    public async Task A_write_back_that_times_out_in_the_background_opens_the_breaker()
    {
        await using var multiplexer = RedisHistoryCache.Connect(new RedisHistoryCacheOptions { Configuration = redis.ConnectionString });
        await Connected.WaitAsync(multiplexer);
        // The break outlasts the test: the call after the failure must find it open.
        using var cache = new RedisHistoryCache(multiplexer, new RedisHistoryCacheOptions
        {
            Configuration = redis.ConnectionString,
            BreakDuration = TimeSpan.FromMinutes(5),
        });
        var patient = Histories.NewPatient();

        // Far longer than the 250 ms command timeout (the connection notices a timeout within a
        // second or two), so the SET fails before Redis would answer it.
        await using var paused = await PausedWrites.StartAsync(redis, TimeSpan.FromSeconds(15));
        await cache.SetAsync(patient, 1, Histories.Full(), default);

        // The pending count drops last, after the failure is recorded.
        await EventuallyAsync(() => cache.PendingWriteBacks == 0, "the unanswered SET never ended");
        Assert.Equal(1, cache.Errors);
        Assert.False(cache.IsHealthy);
        Assert.Contains("Timeout", cache.LastError, StringComparison.Ordinal);
        Assert.Null(await cache.GetAsync(patient, 1, default));
        Assert.Equal(1, cache.Bypassed);
    }

    [Fact]
    public async Task Write_backs_beyond_the_pending_limit_are_skipped()
    {
        var options = new RedisHistoryCacheOptions
        {
            Configuration = redis.ConnectionString,
            CommandTimeout = TimeSpan.FromSeconds(30),
            MaxPendingWriteBacks = 2,
        };
        await using var multiplexer = RedisHistoryCache.Connect(options);
        await Connected.WaitAsync(multiplexer);
        using var cache = new RedisHistoryCache(multiplexer, options);
        var patients = new[] { Histories.NewPatient(), Histories.NewPatient(), Histories.NewPatient() };

        await using var paused = await PausedWrites.StartAsync(redis, TimeSpan.FromSeconds(3));
        foreach (var patient in patients)
        {
            await cache.SetAsync(patient, 1, PatientHistory.Empty, default);
        }

        Assert.Equal(2, cache.PendingWriteBacks);
        Assert.Equal(1, cache.Bypassed);

        await EventuallyAsync(() => cache.PendingWriteBacks == 0, "the SETs were never answered");
        Assert.NotNull(await cache.GetAsync(patients[0], 1, default));
        Assert.NotNull(await cache.GetAsync(patients[1], 1, default));
        Assert.Null(await cache.GetAsync(patients[2], 1, default));
        Assert.Equal(0, cache.Errors);
        Assert.True(cache.IsHealthy);
    }

    private static async Task EventuallyAsync(Func<bool> condition, string failure)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), failure);
            await Task.Delay(20);
        }
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x01;
        return copy;
    }

    private static byte[] OldSchema(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[0] = 0;
        return copy;
    }
}

/// <summary>Each test owns its redis-server, to kill and restart it.</summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Killed_redis_makes_every_call_a_quick_miss_or_no_op_and_hits_resume_after_restart()
    {
        await using var redis = await RedisServer.StartNewAsync();
        var logger = new ListLogger();
        var options = new RedisHistoryCacheOptions { Configuration = redis.ConnectionString };
        await using var multiplexer = RedisHistoryCache.Connect(options);
        await Connected.WaitAsync(multiplexer);
        using var cache = new RedisHistoryCache(multiplexer, options, logger);
        var patient = Histories.NewPatient();
        // Redis is up: the entry becomes readable. (On a loaded machine the very first command can
        // outlast the 250 ms command timeout and open the breaker for a second, by design; retry.)
        var readable = Stopwatch.StartNew();
        await cache.SetAsync(patient, 1, Histories.Full(), default);
        while (await cache.GetAsync(patient, 1, default) is null)
        {
            Assert.True(readable.Elapsed < TimeSpan.FromSeconds(10), "the entry written while Redis was up never became readable");
            await Task.Delay(100);
            await cache.SetAsync(patient, 1, Histories.Full(), default);
        }

        await redis.KillAsync();

        var latencies = new List<double>();
        var calls = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            var got = await cache.GetAsync(patient, 1, default);
            await cache.SetAsync(patient, 2, Histories.Full(), default);
            await cache.InvalidateAsync(patient, default);
            watch.Stop();
            Assert.Null(got);
            Assert.True(watch.Elapsed < Fast, $"call {i} took {watch.Elapsed.TotalMilliseconds:0.0} ms");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            if (i % 20 == 19)
            {
                await Task.Delay(60); // spread the calls over a few break periods
            }
        }

        calls.Stop();
        latencies.Sort();
        output.WriteLine(
            $"Redis down: 200 x (get+set+del) in {calls.Elapsed.TotalMilliseconds:0} ms (incl. 600 ms of pauses); per iteration p50 {latencies[100]:0.000} ms, " +
            $"p99 {latencies[197]:0.000} ms, max {latencies[^1]:0.000} ms; errors {cache.Errors}, bypassed {cache.Bypassed}");
        Assert.True(cache.Errors >= 1);
        Assert.True(cache.Bypassed > cache.Errors, "the breaker should skip most calls while Redis is down");
        Assert.False(cache.IsHealthy);
        Assert.NotNull(cache.LastError);
        // Key names carry patient keys: they stay out of errors and logs.
        Assert.DoesNotContain(patient.Value, cache.LastError, StringComparison.Ordinal);
        Assert.All(logger.Entries, e => Assert.DoesNotContain(patient.Value, e.Message, StringComparison.Ordinal));
        Assert.False(await cache.PingAsync());
        // At most one warning per 5 s, however many calls failed.
        Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        await redis.RestartAsync();

        var resumed = Stopwatch.StartNew();
        var hitsBefore = cache.Hits;
        while (cache.Hits == hitsBefore)
        {
            Assert.True(resumed.Elapsed < TimeSpan.FromSeconds(20), "the cache did not resume within 20 s of the restart");
            await cache.SetAsync(patient, 3, Histories.Full(), default);
            await cache.GetAsync(patient, 3, default);
            await Task.Delay(50);
        }

        output.WriteLine($"hits resumed {resumed.Elapsed.TotalMilliseconds:0} ms after the restart");
        Assert.True(cache.IsHealthy);
        Assert.True(await cache.PingAsync());
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Information && e.Message.Contains("answers again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unreachable_redis_at_start_does_not_fail_connecting_and_every_call_misses()
    {
        var port = FreePort.Next();
        var options = new RedisHistoryCacheOptions { Configuration = $"127.0.0.1:{port}" };
        var connect = Stopwatch.StartNew();
        await using var multiplexer = RedisHistoryCache.Connect(options);
        connect.Stop();
        using var cache = new RedisHistoryCache(multiplexer, options);
        var patient = Histories.NewPatient();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await cache.GetAsync(patient, 1, default));
            await cache.SetAsync(patient, 1, PatientHistory.Empty, default);
        }

        watch.Stop();
        output.WriteLine($"connect with nothing listening: {connect.Elapsed.TotalMilliseconds:0} ms; 50 x (get+set): {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.True(connect.Elapsed < TimeSpan.FromSeconds(5), $"connecting took {connect.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"50 calls took {watch.Elapsed}");
        Assert.Equal(50, cache.Misses);
        Assert.True(cache.Errors >= 1);
        Assert.False(cache.IsHealthy);
    }
}

/// <summary>
/// Redis holding every client's write commands (reads still run) until the time is up or this is
/// disposed, through an admin connection of its own.
/// </summary>
internal sealed class PausedWrites : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _admin;

    private PausedWrites(ConnectionMultiplexer admin) => _admin = admin;

    public IDatabase Database => _admin.GetDatabase();

    public static async Task<PausedWrites> StartAsync(RedisServer redis, TimeSpan duration)
    {
        var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true");
        var milliseconds = ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", milliseconds, "WRITE");
        return new PausedWrites(admin);
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");
        await _admin.DisposeAsync();
    }
}
