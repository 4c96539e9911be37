using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Turns each health report into prescribeguard_dependency_up: 1 for Healthy, 0 for Degraded or
/// Unhealthy, one series per health check except the policy (which has its own info metric).
/// </summary>
public sealed class DependencyHealthPublisher(GuardMetrics metrics) : IHealthCheckPublisher
{
    public const string PolicyCheck = "policy";

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries)
        {
            if (name != PolicyCheck)
            {
                metrics.DependencyUp(name, entry.Status == HealthStatus.Healthy);
            }
        }

        return Task.CompletedTask;
    }
}
