using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Ledger;

namespace PrescribeGuard.Server.Health;

/// <summary>The guard cannot decide without its ledger: an unreachable ledger is unhealthy.</summary>
public sealed class LedgerHealthCheck(IGuardLedger ledger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await ledger.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy("ledger reachable");
        }
        catch (GuardException ex) when (ex.Kind == GuardErrorKind.Unavailable)
        {
            return HealthCheckResult.Unhealthy("ledger unreachable");
        }
    }
}
