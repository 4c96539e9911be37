using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using PrescribeGuard.Cache.Redis;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Server.Configuration;
using StackExchange.Redis;

namespace PrescribeGuard.Server.Hosting;

/// <summary>Chooses the history cache from configuration (Cache:Provider).</summary>
public static class CacheRegistration
{
    public static IServiceCollection AddHistoryCache(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CacheOptions>(configuration.GetSection(CacheOptions.Section));

        // One multiplexer per process, created on first use and disposed with the container.
        services.AddSingleton<IConnectionMultiplexer>(provider => RedisHistoryCache.Connect(RedisOptions(provider)));
        services.AddSingleton(provider => new RedisHistoryCache(
            provider.GetRequiredService<IConnectionMultiplexer>(),
            RedisOptions(provider),
            provider.GetRequiredService<ILogger<RedisHistoryCache>>(),
            provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));

        services.AddSingleton<IHistoryCache>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CacheOptions>>().Value;
            return options.Provider.ToLowerInvariant() switch
            {
                "memory" => new MemoryHistoryCache(
                    new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MemoryEntries }),
                    TimeSpan.FromSeconds(options.TtlSeconds)),
                "redis" => provider.GetRequiredService<RedisHistoryCache>(),
                "none" => new NoHistoryCache(),
                _ => throw new InvalidOperationException($"Cache:Provider '{options.Provider}' is not supported (use memory, redis or none)"),
            };
        });
        return services;
    }

    /// <summary>Whether Cache:Provider names Redis (the Redis health check is added only then).</summary>
    public static bool UsesRedis(IConfiguration configuration) =>
        string.Equals(configuration[$"{CacheOptions.Section}:{nameof(CacheOptions.Provider)}"], "redis", StringComparison.OrdinalIgnoreCase);

    private static RedisHistoryCacheOptions RedisOptions(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<CacheOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.RedisConnection))
        {
            throw new InvalidOperationException("Cache:Provider 'redis' needs Cache:RedisConnection (e.g. redis:6379)");
        }

        return new RedisHistoryCacheOptions
        {
            Configuration = options.RedisConnection,
            Ttl = TimeSpan.FromSeconds(options.TtlSeconds),
            ConnectTimeout = TimeSpan.FromMilliseconds(options.RedisConnectTimeoutMs),
            CommandTimeout = TimeSpan.FromMilliseconds(options.RedisCommandTimeoutMs),
        };
    }
}
