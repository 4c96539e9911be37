using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;

namespace PrescribeGuard.Domain.Tests;

/// <summary>
/// A recorded prescription confirms a reservation only if it is what the check judged or less of it:
/// a check's ALLOW says nothing about a regimen it was not shown.
/// </summary>
public sealed class ReservationConfirmationTests
{
    private const string PatientKey = "pk_patient";

    private static readonly ReservationEntry Reserved = new(
        Fixed.Caller, "dec_1", Fixed.PrescriberNpi, Meds.HomeSublingual, Fixed.Now, Fixed.Now.AddMinutes(15));

    private static readonly DecisionStanding Standing = new(
        "dec_1", Fixed.Caller, PatientKey, Outcome.Allow, DryRun: false, ReservationState.Pending, Reserved, ConfirmedPrescriptionId: null);

    [Theory]
    [InlineData(2400, 28)] // exactly what was checked
    [InlineData(1200, 14)] // half of it, at the same pace
    [InlineData(1200, 28)] // less, more slowly
    public void The_checked_regimen_or_less_of_it_confirms(double totalMg, int daysSupply)
    {
        var recorded = Recorded(Meds.HomeSublingual with { TotalMg = totalMg, DaysSupply = daysSupply });

        ReservationConfirmation.EnsureConfirmable(Standing, Fixed.Caller, PatientKey, recorded, overrideReasonCode: null, Fixed.Now);
    }

    [Theory]
    [InlineData(2400, 14, "more milligrams a day")] // the same 12 doses in two weeks: 6 a week, not 3
    [InlineData(1300, 14, "more milligrams a day")]
    [InlineData(2600, 28, "a larger dose or quantity")]
    [InlineData(2400, 30, "a longer supply or more refills")]
    public void A_faster_or_larger_regimen_than_was_checked_does_not_confirm(double totalMg, int daysSupply, string difference)
    {
        var recorded = Recorded(Meds.HomeSublingual with { TotalMg = totalMg, DaysSupply = daysSupply });

        var error = Assert.Throws<GuardException>(
            () => ReservationConfirmation.EnsureConfirmable(Standing, Fixed.Caller, PatientKey, recorded, overrideReasonCode: null, Fixed.Now));

        Assert.Equal("PRESCRIPTION_DIFFERS_FROM_DECISION", error.Reason);
        Assert.Contains(difference, error.Message, StringComparison.Ordinal);
    }

    private static PrescriptionEntry Recorded(Medication medication) =>
        new(Fixed.Caller, "rx-1", Fixed.PrescriberNpi, medication, Fixed.Now.AddMinutes(1), Imported: false);
}
