using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Reservations;

namespace PrescribeGuard.Ledger.Records;

/// <summary>
/// A decision as kept for audit. <see cref="Payload"/> is the decision exactly as it was answered
/// (serialised by the transport), so an audit look-up returns the same bytes' meaning.
/// </summary>
public sealed record DecisionRecord(
    string DecisionId,
    string PlatformId,
    string RequestId,
    string RequestFingerprint,
    PatientKey PatientKey,
    Outcome Outcome,
    bool DryRun,
    string PolicyVersion,
    DateTimeOffset EvaluatedAt,
    ReservationEntry? Reservation,
    ReservationState ReservationState,
    string? ConfirmedPrescriptionId,
    byte[] Payload)
{
    public DecisionStanding Standing => new(
        DecisionId,
        PlatformId,
        PatientKey.Value,
        Outcome,
        DryRun,
        ReservationState,
        Reservation,
        ConfirmedPrescriptionId);
}
