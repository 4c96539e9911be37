using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrescribeGuard.Server.Policy;

namespace PrescribeGuard.Server.Health;

/// <summary>Not ready until a policy is loaded: a guard without rules must not answer.</summary>
public sealed class PolicyHealthCheck(PolicyProvider policies) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(policies.IsLoaded
            ? HealthCheckResult.Healthy($"policy {policies.Current.Version}")
            : HealthCheckResult.Unhealthy("no policy loaded"));
}
