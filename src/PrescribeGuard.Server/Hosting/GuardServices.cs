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

    public const string LedgerCheck = "ledger";
    public const string PolicyCheck = "policy";
    public const string RedisCacheCheck = "redis-cache";

    public static IServiceCollection AddPrescribeGuard(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GuardOptions>(configuration.GetSection(GuardOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(DefaultRules.Create());
        services.AddSingleton<PrescriptionEvaluator>();
        services.AddSingleton<PolicyProvider>();
        services.AddSingleton(provider => new PatientKeyDeriver(
            PatientKeySecret.Resolve(provider.GetRequiredService<IOptions<GuardOptions>>().Value, LedgerRegistration.UsesPostgres(configuration))));
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
        // Each check is also a gRPC health service of its own name (the overall service "" holds them
        // all), so a probe can ask about the ledger alone.
        var redis = CacheRegistration.UsesRedis(configuration);
        string[] checks = redis ? [LedgerCheck, PolicyCheck, RedisCacheCheck] : [LedgerCheck, PolicyCheck];
        var health = services.AddGrpcHealthChecks()
            .AddCheck<LedgerHealthCheck>(LedgerCheck, tags: [ObservabilityRegistration.ReadyTag])
            .AddCheck<PolicyHealthCheck>(PolicyCheck, tags: [ObservabilityRegistration.ReadyTag]);
        if (redis)
        {
            health.AddCheck<RedisCacheHealthCheck>(RedisCacheCheck, failureStatus: HealthStatus.Degraded);
        }

        services.Configure<Grpc.AspNetCore.HealthChecks.GrpcHealthChecksOptions>(options =>
        {
            options.UseHealthChecksCache =
                configuration.GetValue<bool>($"{ObservabilityOptions.Section}:{nameof(ObservabilityOptions.HealthFromPublishedResults)}");
            options.Services.Map(string.Empty, _ => true);
            foreach (var check in checks)
            {
                options.Services.Map(check, result => result.Name == check);
            }
        });

        return services;
    }
}
