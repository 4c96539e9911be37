using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Hosting;

/// <summary>Chooses the history cache from configuration (Cache:Provider).</summary>
public static class CacheRegistration
{
    public static IServiceCollection AddHistoryCache(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CacheOptions>(configuration.GetSection(CacheOptions.Section));
        services.AddSingleton<IHistoryCache>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<CacheOptions>>().Value;
            return options.Provider.ToLowerInvariant() switch
            {
                "memory" => new MemoryHistoryCache(
                    new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MemoryEntries }),
                    TimeSpan.FromSeconds(options.TtlSeconds)),
                "none" => new NoHistoryCache(),
                _ => throw new InvalidOperationException($"Cache:Provider '{options.Provider}' is not supported (use memory or none)"),
            };
        });
        return services;
    }
}
