using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrescribeGuard.Cache.Redis;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Server.Hosting;

namespace PrescribeGuard.LoadTest;

/// <summary>The real guard (GuardApp) in this process on a loopback port chosen by the OS.</summary>
public sealed class InProcessGuard : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessGuard(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public static async Task<InProcessGuard> StartAsync(LoadOptions options)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            // Any free port: a guard already running on this machine holds the default 9464.
            ["Kestrel:Endpoints:Metrics:Url"] = "http://127.0.0.1:0",
            ["Guard:DataDirectory"] = options.DataDirectory!,
            ["Guard:PatientKeySecret"] = options.Secret,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",

            // The load names its platform in x-platform-id (no keys to issue); --set Auth:... overrides.
            ["Auth:TrustPlatformHeader"] = "true",
            ["Ledger:Provider"] = options.Ledger,
            ["Cache:Provider"] = options.Cache,
        };
        if (options.Connection is { } connection)
        {
            settings["ConnectionStrings:Ledger"] = connection;
        }

        if (options.Redis is { } redis)
        {
            settings["Cache:RedisConnection"] = redis;
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var app = GuardApp.Create([], builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessGuard(app, address);
    }

    /// <summary>The Redis cache's counters since start, when the guard uses Redis.</summary>
    public string? CacheSummary() =>
        _app.Services.GetRequiredService<IHistoryCache>() is RedisHistoryCache redis
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"redis cache: {redis.Hits:N0} hits, {redis.Misses:N0} misses, {redis.Errors:N0} errors, hit ratio {(double)redis.Hits / Math.Max(1, redis.Hits + redis.Misses):P1}")
            : null;

    /// <summary>The ledger's write-path totals since start (decision paths, group commits, WAL fsyncs).</summary>
    public LedgerMetricsSnapshot LedgerTotals() => _app.Services.GetRequiredService<LedgerMetrics>().Snapshot();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
