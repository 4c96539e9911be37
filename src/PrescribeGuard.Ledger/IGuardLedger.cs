using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger;

/// <summary>
/// The durable record of prescriptions, dispenses, encounters and decisions. Every write is
/// committed before the call returns. Failures to reach the store surface as
/// <see cref="Domain.Errors.GuardException"/> of kind Unavailable.
/// </summary>
public interface IGuardLedger
{
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The verifier of the patient-key secret the ledger's patients are keyed with: the one already
    /// on record, else <paramref name="verifier"/>, which is recorded (the first instance to start claims it).
    /// </summary>
    Task<string> ClaimPatientKeyVerifierAsync(string verifier, CancellationToken cancellationToken);

    /// <summary>One round trip to the store, for health checks.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Decides one check serialised against every other check and write for the same patient:
    /// replays the decision already made for the same platform and request id, or loads the
    /// history, calls <paramref name="decide"/> on it and commits the decision it returns.
    /// </summary>
    Task<DecideResult> DecideAsync(DecideRequest request, Func<PatientHistory, DecisionRecord> decide, CancellationToken cancellationToken);

    Task<WriteResult> RecordPrescriptionAsync(StoredPrescription prescription, DateTimeOffset now, CancellationToken cancellationToken);

    Task<ReleaseResult> ReleaseDecisionAsync(string platformId, string decisionId, DateTimeOffset now, CancellationToken cancellationToken);

    Task<WriteResult> RecordDispenseAsync(StoredDispense dispense, CancellationToken cancellationToken);

    Task<WriteResult> RecordEncounterAsync(StoredEncounter encounter, CancellationToken cancellationToken);

    Task<DecisionRecord?> GetDecisionAsync(string decisionId, CancellationToken cancellationToken);

    Task<PatientHistory> LoadHistoryAsync(PatientKey patientKey, CancellationToken cancellationToken);

    /// <summary>
    /// Walks the audit chain and recomputes every audited record's hash, then checks that each of
    /// <paramref name="anchors"/> (heads of an earlier verification) is still on its chain; names the
    /// first broken link or anchor.
    /// </summary>
    Task<Audit.AuditVerification> VerifyAuditAsync(IReadOnlyCollection<Audit.AuditAnchor> anchors, CancellationToken cancellationToken);
}
