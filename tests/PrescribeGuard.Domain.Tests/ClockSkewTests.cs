using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Tests;

/// <summary>
/// Clocks of platforms and instances differ a little. Within the tolerance, a record or reservation
/// dated "ahead" must count at once: a slow clock must never let a second prescription through.
/// </summary>
public sealed class ClockSkewTests
{
    private static readonly CheckBuilder ClinicCheck = new() { Medication = Meds.ClinicInfusion };

    [Theory]
    [InlineData(0.05, true)]
    [InlineData(300, true)]
    [InlineData(301, false)]
    public void Reservation_made_by_an_instance_whose_clock_runs_ahead_holds(double secondsAhead, bool holds)
    {
        var history = new HistoryBuilder().Reservation("dec-ahead", Meds.ClinicInfusion, createdAt: Fixed.Now.AddSeconds(secondsAhead), platform: Fixed.Other);

        Expect.Hit(Guard.Find("DUPLICATE_ACTIVE_KETAMINE", ClinicCheck, history), "DUPLICATE_ACTIVE_KETAMINE", holds, Severity.Critical);
    }

    [Theory]
    [InlineData(60, true)]
    [InlineData(300, true)]
    [InlineData(301, false)]
    public void Prescription_dated_slightly_ahead_counts(double secondsAhead, bool counts)
    {
        var history = new HistoryBuilder().Prescription("rx-ahead", Fixed.Now.AddSeconds(secondsAhead), Meds.ClinicInfusion);

        Expect.Hit(Guard.Find("DUPLICATE_ACTIVE_KETAMINE", ClinicCheck, history), "DUPLICATE_ACTIVE_KETAMINE", counts, Severity.Critical, counts ? ["rx-ahead"] : []);
    }
}
