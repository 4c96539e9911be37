using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

/// <summary>Cases a review found: partial fills, and readings dated within the clock-skew tolerance.</summary>
public sealed class ReviewRegressionTests
{
    [Fact]
    public void Partial_fills_of_one_refill_count_as_one_refill()
    {
        var rx = Meds.HomeSublingual with { RefillsAuthorized = 2, TotalMg = 2400 };
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-60), rx)
            .Dispense("f-0", "rx-1", Fixed.Now.AddDays(-60), totalMg: 2400, fillNumber: 0)
            .Dispense("f-1a", "rx-1", Fixed.Now.AddDays(-30), totalMg: 1200, fillNumber: 1)
            .Dispense("f-1b", "rx-1", Fixed.Now.AddDays(-25), totalMg: 1200, fillNumber: 1);
        var refill = new CheckBuilder { Medication = rx, RefillOf = "rx-1" };

        // Refill 2 of 2 authorised, 6000 mg of 7200 mg: allowed; three fills do not make three refills.
        Expect.Hit(Guard.Find("REFILL_LIMIT_EXCEEDED", refill, history), "REFILL_LIMIT_EXCEEDED", false, Severity.Critical);
    }

    [Fact]
    public void High_reading_stamped_a_minute_ahead_still_counts()
    {
        var check = new CheckBuilder
        {
            Medication = Meds.ClinicInfusion,
            BloodPressure = new BloodPressure(180, 110, Fixed.Now.AddMinutes(1)),
        };

        Expect.Hit(Guard.Find("BLOOD_PRESSURE", check), "BLOOD_PRESSURE", true, Severity.Warning);
    }
}
