using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrescribeGuard.Cache.Redis;

namespace PrescribeGuard.Server.Health;

/// <summary>
/// The guard answers without Redis, only slower: an unreachable Redis is Degraded, never Unhealthy,
/// so the gRPC health service keeps reporting SERVING (it maps only Unhealthy to NOT_SERVING).
/// </summary>
public sealed class RedisCacheHealthCheck(RedisHistoryCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await cache.PingAsync())
        {
            return HealthCheckResult.Healthy("redis cache reachable");
        }

        var data = new Dictionary<string, object>
        {
            ["errors"] = cache.Errors,
            ["lastErrorAt"] = cache.LastErrorAt?.ToString("O") ?? string.Empty,
        };
        return HealthCheckResult.Degraded($"redis cache unreachable, checks read the ledger: {cache.LastError}", data: data);
    }
}
