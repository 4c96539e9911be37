using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Counts reservations that expired unconfirmed: every few seconds it asks the ledger about the
/// tracked reservations now past their expiry, counts those still pending (or found expired by a
/// late confirmation) as expired, and forgets
/// them all (a confirmation or release through another instance is the ledger's to know).
/// </summary>
public sealed class ReservationExpirySweep(
    ReservationTracker reservations,
    IGuardLedger ledger,
    GuardMetrics metrics,
    TimeProvider time,
    IOptions<ObservabilityOptions> options,
    ILogger<ReservationExpirySweep> logger) : BackgroundService
{
    private const int MaxLookupsPerSweep = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time between sweeps; the guard's clock (which tests move) decides what has expired.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.ReservationSweepSeconds)));
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "reservation expiry sweep failed; it retries at the next tick");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sweep; returns how many reservations it counted as expired.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        foreach (var decisionId in reservations.Due(time.GetUtcNow(), MaxLookupsPerSweep))
        {
            var decision = await ledger.GetDecisionAsync(decisionId, cancellationToken);
            // Expired: a confirmation came too late and made the expiry final.
            if (decision?.ReservationState is ReservationState.Pending or ReservationState.Expired)
            {
                metrics.Reservation("expired");
                expired++;
            }

            reservations.Forget(decisionId);
        }

        metrics.ReservationsPending(reservations.Count);
        return expired;
    }
}
