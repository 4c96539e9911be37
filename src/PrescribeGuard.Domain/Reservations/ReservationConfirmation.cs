using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Reservations;

/// <summary>What recording a prescription needs to know about the decision it cites.</summary>
public sealed record DecisionStanding(
    string DecisionId,
    string PlatformId,
    string PatientKey,
    Outcome Outcome,
    bool DryRun,
    ReservationState State,
    ReservationEntry? Reservation,
    string? ConfirmedPrescriptionId);

/// <summary>
/// A ketamine prescription may be recorded only against a decision of the same platform, for the
/// same patient, that reserved it and still holds the reservation; a REVIEW needs an attested
/// override reason. The prescription must be the one that was checked: same prescriber and product,
/// no more than was checked, at no faster a pace (the same milligrams over fewer days plan more
/// sessions a week than the check judged), issued no earlier than the check (else it could be dated
/// so that it is already over, and a second platform would be allowed at once).
/// </summary>
public static class ReservationConfirmation
{
    /// <summary>The reason a confirmation after its reservation's expiry is refused with.</summary>
    public const string ExpiredReason = "RESERVATION_EXPIRED";

    public static void EnsureConfirmable(
        DecisionStanding? decision,
        string platformId,
        string patientKey,
        PrescriptionEntry prescription,
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
            case ReservationState.Confirmed when decision.ConfirmedPrescriptionId != prescription.PrescriptionId:
                throw GuardException.Precondition("RESERVATION_ALREADY_CONFIRMED", "the decision already confirmed another prescription");
            case ReservationState.Expired:
            case ReservationState.Pending when decision.Reservation is { } held && held.ExpiresAt <= now:
                throw GuardException.Precondition(ExpiredReason, "the decision's reservation expired; check again");
        }

        if (decision.Outcome == Outcome.Review && string.IsNullOrWhiteSpace(overrideReasonCode))
        {
            throw GuardException.Precondition("OVERRIDE_REASON_REQUIRED", "the decision was REVIEW: an override_reason_code must be attested");
        }

        if (decision.Reservation is { } reservation && Difference(reservation, prescription) is { } difference)
        {
            throw GuardException.Precondition("PRESCRIPTION_DIFFERS_FROM_DECISION", $"the prescription is not the one that was checked: {difference}; check it again");
        }
    }

    private static string? Difference(ReservationEntry checkedOne, PrescriptionEntry recorded)
    {
        const double Tolerance = 1e-9;
        var was = checkedOne.Medication;
        var now = recorded.Medication;
        return recorded.PrescriberNpi != checkedOne.PrescriberNpi ? "another prescriber"
            : now.DrugClass != was.DrugClass || now.Route != was.Route || now.Setting != was.Setting || now.Compounded != was.Compounded
                ? "another drug class, route, setting or compounding"
            : now.DoseMg > was.DoseMg + Tolerance || now.TotalMg > was.TotalMg + Tolerance ? "a larger dose or quantity"
            : now.DaysSupply > was.DaysSupply || now.RefillsAuthorized > was.RefillsAuthorized ? "a longer supply or more refills"
            : now.TotalMg * was.DaysSupply > was.TotalMg * now.DaysSupply + Tolerance ? "more milligrams a day"
            : recorded.IssuedAt < checkedOne.CreatedAt - ClockSkew.Tolerance ? "issued before it was checked"
            : null;
    }
}
