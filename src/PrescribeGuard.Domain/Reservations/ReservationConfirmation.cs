using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;

namespace PrescribeGuard.Domain.Reservations;

/// <summary>What recording a prescription needs to know about the decision it cites.</summary>
public sealed record DecisionStanding(
    string DecisionId,
    string PlatformId,
    string PatientKey,
    Outcome Outcome,
    bool DryRun,
    ReservationState State,
    DateTimeOffset? ReservationExpiresAt,
    string? ConfirmedPrescriptionId);

/// <summary>
/// A ketamine prescription may be recorded only against a decision of the same platform, for the
/// same patient, that reserved it and still holds the reservation; a REVIEW needs an attested
/// override reason.
/// </summary>
public static class ReservationConfirmation
{
    public static void EnsureConfirmable(
        DecisionStanding? decision,
        string platformId,
        string patientKey,
        string prescriptionId,
        string? overrideReasonCode,
        DateTimeOffset now)
    {
        if (decision is null || decision.PlatformId != platformId)
        {
            throw GuardException.Precondition("DECISION_NOT_FOUND", "no decision with that decision_id was made for this platform");
        }

        if (decision.PatientKey != patientKey)
        {
            throw GuardException.Precondition("DECISION_PATIENT_MISMATCH", "the decision was made for a different patient");
        }

        if (decision.DryRun)
        {
            throw GuardException.Precondition("DECISION_DRY_RUN", "a dry-run decision reserves nothing and cannot be confirmed");
        }

        if (decision.Outcome == Outcome.Deny)
        {
            throw GuardException.Precondition("DECISION_DENIED", "the decision denied this prescription");
        }

        switch (decision.State)
        {
            case ReservationState.None:
                throw GuardException.Precondition("DECISION_HAS_NO_RESERVATION", "the decision reserved no new prescription (refill checks do not)");
            case ReservationState.Released:
                throw GuardException.Precondition("RESERVATION_RELEASED", "the decision was released");
            case ReservationState.Confirmed when decision.ConfirmedPrescriptionId != prescriptionId:
                throw GuardException.Precondition("RESERVATION_ALREADY_CONFIRMED", "the decision already confirmed another prescription");
            case ReservationState.Pending when decision.ReservationExpiresAt is { } expiresAt && expiresAt <= now:
                throw GuardException.Precondition("RESERVATION_EXPIRED", "the decision's reservation expired; check again");
        }

        if (decision.Outcome == Outcome.Review && string.IsNullOrWhiteSpace(overrideReasonCode))
        {
            throw GuardException.Precondition("OVERRIDE_REASON_REQUIRED", "the decision was REVIEW: an override_reason_code must be attested");
        }
    }
}
