using System.Threading.RateLimiting;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Microsoft.AspNetCore.RateLimiting;

namespace PrescribeGuard.Server.Security;

/// <summary>Settings under "RateLimit": a token bucket per authenticated platform.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    public bool Enabled { get; set; } = true;

    public int PermitsPerSecond { get; set; } = 5000;

    public int Burst { get; set; } = 10000;
}

/// <summary>
/// One platform's burst cannot starve the others: each platform has its own token bucket, and a
/// rejected call is RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when to come back.
/// </summary>
public static class PlatformRateLimiting
{
    public const string Policy = "per-platform";
    // Refilled once a second with the whole second's permits, so any rate is exact (a shorter period
    // would round small rates); Burst bounds what a platform can spend at once.
    private static readonly TimeSpan Replenishment = TimeSpan.FromSeconds(1);

    public static IServiceCollection AddPlatformRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        if (options.PermitsPerSecond < 1 || options.Burst < 1)
        {
            throw new InvalidOperationException("RateLimit:PermitsPerSecond and RateLimit:Burst must be at least 1");
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                if (!options.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("disabled");
                }

                var platform = context.User.FindFirst(GuardRoles.PlatformClaim)?.Value ?? string.Empty;
                return RateLimitPartition.GetTokenBucketLimiter(platform, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.PermitsPerSecond,
                    ReplenishmentPeriod = Replenishment,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Replenishment;
                WriteResourceExhausted(rejected.HttpContext.Response, retryAfter);
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>A trailers-only gRPC reply: the status travels in the response headers.</summary>
    private static void WriteResourceExhausted(Microsoft.AspNetCore.Http.HttpResponse response, TimeSpan retryAfter)
    {
        const string message = "rate limit exceeded for this platform";
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = message,
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        };
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)Code.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = message;
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
    }
}
