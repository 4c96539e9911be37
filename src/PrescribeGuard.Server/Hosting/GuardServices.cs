using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Rules;
using PrescribeGuard.Server.Application;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Health;
using PrescribeGuard.Server.Identity;
using PrescribeGuard.Server.Interceptors;
using PrescribeGuard.Server.Policy;
using PrescribeGuard.Server.Security;

namespace PrescribeGuard.Server.Hosting;

/// <summary>Composition of the guard: the one place that knows every part.</summary>
public static class GuardServices
{
    public const int MaxMessageBytes = 256 * 1024;

    public static IServiceCollection AddPrescribeGuard(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GuardOptions>(configuration.GetSection(GuardOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(DefaultRules.Create());
        services.AddSingleton<PrescriptionEvaluator>();
        services.AddSingleton<PolicyProvider>();
        services.AddSingleton(provider => new PatientKeyDeriver(
            PatientKeySecret.Resolve(provider.GetRequiredService<IOptions<GuardOptions>>().Value)));
        services.AddHistoryCache(configuration);
        services.AddGuardLedger(configuration);
        services.AddGuardObservability(configuration);
        services.AddSingleton<CheckPrescriptionHandler>();
        services.AddSingleton<RecordHandler>();
        services.AddHostedService<GuardStartup>();
        services.AddGuardSecurity(configuration);
        services.AddPlatformRateLimiting(configuration);

        services.AddGrpc(options =>
        {
            options.Interceptors.Add<GrpcMetricsInterceptor>();
            options.Interceptors.Add<ErrorMappingInterceptor>();
            options.MaxReceiveMessageSize = MaxMessageBytes;
            options.EnableDetailedErrors = false;
        });
        services.AddGrpcReflection();
        var health = services.AddGrpcHealthChecks()
            .AddCheck<LedgerHealthCheck>("ledger", tags: [ObservabilityRegistration.ReadyTag])
            .AddCheck<PolicyHealthCheck>("policy", tags: [ObservabilityRegistration.ReadyTag]);
        if (CacheRegistration.UsesRedis(configuration))
        {
            health.AddCheck<RedisCacheHealthCheck>("redis-cache", failureStatus: HealthStatus.Degraded);
        }

        services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(options => options.UseHealthChecksCache =
            configuration.GetValue<bool>($"{ObservabilityOptions.Section}:{nameof(ObservabilityOptions.HealthFromPublishedResults)}"));

        return services;
    }
}
