using System.Diagnostics;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Times every ledger operation, counts the ones the store failed (an unreachable store, a timeout,
/// an unexpected exception; a refusal such as NOT_FOUND is an answer, not an error), and reports
/// reservation events as the ledger commits them.
/// </summary>
public sealed class InstrumentedLedger(IGuardLedger inner, GuardMetrics metrics, ReservationTracker reservations) : IGuardLedger, IAsyncDisposable
{
    public IGuardLedger Inner => inner;

    public Task MigrateAsync(CancellationToken cancellationToken) =>
        MeasureAsync("migrate", () => inner.MigrateAsync(cancellationToken));

    public Task<string> ClaimPatientKeyVerifierAsync(string verifier, CancellationToken cancellationToken) =>
        MeasureAsync("claim_patient_key_verifier", () => inner.ClaimPatientKeyVerifierAsync(verifier, cancellationToken));

    public Task PingAsync(CancellationToken cancellationToken) =>
        MeasureAsync("ping", () => inner.PingAsync(cancellationToken));

    public async Task<DecideResult> DecideAsync(DecideRequest request, Func<PatientHistory, DecisionRecord> decide, CancellationToken cancellationToken)
    {
        var result = await MeasureAsync("decide", () => inner.DecideAsync(request, decide, cancellationToken));
        if (!result.Replayed && result.Decision is { ReservationState: ReservationState.Pending, Reservation: { } reservation } decision)
        {
            metrics.Reservation("created");
            if (!reservations.Track(decision.DecisionId, reservation.ExpiresAt))
            {
                metrics.ReservationUntracked();
            }
        }

        return result;
    }

    public async Task<WriteResult> RecordPrescriptionAsync(StoredPrescription prescription, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await MeasureAsync("record_prescription", () => inner.RecordPrescriptionAsync(prescription, now, cancellationToken));
        if (result == WriteResult.Created && prescription.DecisionId is { } decisionId)
        {
            // Recording a prescription that cites its decision confirms that decision's reservation.
            metrics.Reservation("confirmed");
            reservations.Forget(decisionId);
        }

        return result;
    }

    public async Task<ReleaseResult> ReleaseDecisionAsync(string platformId, string decisionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await MeasureAsync("release_decision", () => inner.ReleaseDecisionAsync(platformId, decisionId, now, cancellationToken));
        if (result.Released)
        {
            metrics.Reservation("released");
            reservations.Forget(decisionId);
        }

        return result;
    }

    public Task<WriteResult> RecordDispenseAsync(StoredDispense dispense, CancellationToken cancellationToken) =>
        MeasureAsync("record_dispense", () => inner.RecordDispenseAsync(dispense, cancellationToken));

    public Task<WriteResult> RecordEncounterAsync(StoredEncounter encounter, CancellationToken cancellationToken) =>
        MeasureAsync("record_encounter", () => inner.RecordEncounterAsync(encounter, cancellationToken));

    public Task<DecisionRecord?> GetDecisionAsync(string decisionId, CancellationToken cancellationToken) =>
        MeasureAsync("get_decision", () => inner.GetDecisionAsync(decisionId, cancellationToken));

    public Task<PatientHistory> LoadHistoryAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
        MeasureAsync("load_history", () => inner.LoadHistoryAsync(patientKey, cancellationToken));

    public Task<Ledger.Audit.AuditVerification> VerifyAuditAsync(IReadOnlyCollection<Ledger.Audit.AuditAnchor> anchors, CancellationToken cancellationToken) =>
        MeasureAsync("verify_audit", () => inner.VerifyAuditAsync(anchors, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        switch (inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    private async Task MeasureAsync(string operation, Func<Task> call) =>
        await MeasureAsync(operation, async () =>
        {
            await call();
            return true;
        });

    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            failed = true;
            throw;
        }
        finally
        {
            metrics.LedgerOperation(operation, Stopwatch.GetElapsedTime(started).TotalSeconds, failed);
        }
    }

    private static bool IsStoreFailure(Exception ex) => ex switch
    {
        GuardException guard => guard.Kind == GuardErrorKind.Unavailable,
        OperationCanceledException => false,
        _ => true,
    };
}
