using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.Server.Policy;
using Prometheus;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// Metrics, health endpoints and the ledger's instrumentation. /metrics, /healthz and /readyz are
/// served only on the plain-HTTP endpoint Kestrel:Endpoints:Metrics; the gRPC endpoint serves none
/// of them.
/// </summary>
public static class ObservabilityRegistration
{
    /// <summary>Health checks with this tag decide readiness (/readyz): the policy and the ledger.</summary>
    public const string ReadyTag = "ready";

    public static IServiceCollection AddGuardObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ObservabilityOptions>(configuration.GetSection(ObservabilityOptions.Section));
        services.AddSingleton(provider => new GuardMetrics(provider.GetRequiredService<IOptions<ObservabilityOptions>>().Value.MaxPlatformLabels));
        services.AddSingleton(provider => new ReservationTracker(provider.GetRequiredService<IOptions<ObservabilityOptions>>().Value.MaxTrackedReservations));
        services.AddSingleton(provider => new MeterBridge(provider.GetRequiredService<GuardMetrics>().Registry, provider.GetService<IMeterFactory>()));
        services.AddSingleton<MetricsEndpoint>();
        services.AddHostedService<ReservationExpirySweep>();
        services.AddSingleton<IHealthCheckPublisher, DependencyHealthPublisher>();
        services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Delay = TimeSpan.FromSeconds(1);
            options.Period = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue($"{ObservabilityOptions.Section}:{nameof(ObservabilityOptions.HealthPublishSeconds)}", 10)));
        });

        // Kestrel reports the metrics endpoint's listen options when it binds it (port 0 included). This
        // replaces the host's default loader of the same "Kestrel" section with one that has the callback.
        services.AddOptions<KestrelServerOptions>().Configure<MetricsEndpoint, IOptions<ObservabilityOptions>>((kestrel, endpoint, observability) =>
            kestrel.Configure(configuration.GetSection("Kestrel"), reloadOnChange: true)
                .Endpoint(observability.Value.EndpointName, named => endpoint.Attach(named.ListenOptions)));

        DecorateLedger(services);
        return services;
    }

    /// <summary>Serves /metrics, /healthz (live) and /readyz (policy loaded, ledger reachable) on the metrics endpoint only.</summary>
    public static WebApplication UseGuardObservability(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<GuardMetrics>();
        var endpoint = app.Services.GetRequiredService<MetricsEndpoint>();
        var policies = app.Services.GetRequiredService<PolicyProvider>();
        _ = app.Services.GetRequiredService<MeterBridge>();
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            if (policies.IsLoaded)
            {
                metrics.Policy(policies.Current.Name, policies.Current.Version);
            }

            metrics.PolicyLoadFailures(policies.LoadFailures);
        });
        DotNetStats.Register(metrics.Registry);

        app.MapWhen(endpoint.Serves, branch =>
        {
            branch.UseHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
            branch.UseHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
            branch.UseMetricServer(settings => settings.Registry = metrics.Registry, "/metrics");
            branch.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (!endpoint.IsConfigured)
            {
                app.Logger.LogWarning("no Kestrel endpoint named {Endpoint}: /metrics, /healthz and /readyz are not served", app.Services.GetRequiredService<IOptions<ObservabilityOptions>>().Value.EndpointName);
            }
        });
        return app;
    }

    /// <summary>Wraps the registered IGuardLedger, whichever store it is, in <see cref="InstrumentedLedger"/>.</summary>
    private static void DecorateLedger(IServiceCollection services)
    {
        var registered = services.LastOrDefault(descriptor => descriptor.ServiceType == typeof(IGuardLedger))
            ?? throw new InvalidOperationException("AddGuardObservability must follow AddGuardLedger");
        services.Remove(registered);
        services.AddSingleton<IGuardLedger>(provider => new InstrumentedLedger(
            Create(provider, registered),
            provider.GetRequiredService<GuardMetrics>(),
            provider.GetRequiredService<ReservationTracker>()));
    }

    private static IGuardLedger Create(IServiceProvider provider, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IGuardLedger
        ?? descriptor.ImplementationFactory?.Invoke(provider) as IGuardLedger
        ?? (IGuardLedger)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!);
}
