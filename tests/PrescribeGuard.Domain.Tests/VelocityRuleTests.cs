using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class SessionFrequencyRuleTests
{
    private const string Code = "SESSION_FREQUENCY";

    [Theory]
    [InlineData(2, null, false)] // two in the week plus this one: 3
    [InlineData(2, 0, false)] // the third was exactly 7 days ago, outside the window
    [InlineData(2, 1, true)] // the third was a minute inside it: 4
    [InlineData(3, null, true)]
    public void Clinic_fires_above_three_administrations_in_seven_days(int recent, int? edgeMinutesInside, bool fires)
    {
        var history = new HistoryBuilder();
        var evidence = new List<string>();
        for (var i = 1; i <= recent; i++)
        {
            history.Administration($"adm-{i}", Fixed.Now.AddDays(-i));
            evidence.Add($"adm-{i}");
        }

        if (edgeMinutesInside is { } inside)
        {
            history.Administration("adm-edge", Fixed.Now.AddDays(-7).AddMinutes(inside));
            if (inside > 0)
            {
                evidence.Add("adm-edge");
            }
        }

        var check = new CheckBuilder { Medication = Meds.ClinicInfusion };

        Expect.Hit(Guard.Find(Code, check, history), Code, fires, Severity.Warning, [.. evidence]);
    }

    [Fact]
    public void Clinic_counts_only_ketamine_administrations()
    {
        var history = new HistoryBuilder()
            .Administration("adm-1", Fixed.Now.AddDays(-1))
            .Administration("adm-2", Fixed.Now.AddDays(-2))
            .Administration("adm-benzo", Fixed.Now.AddDays(-3), medication: SupervisedFirstDoseRequiredRuleTests.ObservedBenzodiazepine);

        Expect.Hit(Guard.Find(Code, new CheckBuilder { Medication = Meds.ClinicInfusion }, history), Code, fires: false, Severity.Warning);
    }

    [Theory]
    [InlineData(2400, 200, 28, false)] // 12 doses in 28 days: 3 a week
    [InlineData(2600, 200, 28, true)] // 13 doses: 3.25 a week
    [InlineData(300, 100, 7, false)] // 3 in 7 days exactly
    [InlineData(400, 100, 7, true)]
    [InlineData(2400, 0, 28, false)] // no dose given: the pace is unknown
    [InlineData(2400, 200, 0, false)] // no days' supply given
    public void Home_use_fires_when_the_planned_pace_exceeds_three_a_week(double totalMg, double doseMg, int daysSupply, bool fires)
    {
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { TotalMg = totalMg, DoseMg = doseMg, DaysSupply = daysSupply } };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Warning);
    }

    [Fact]
    public void Home_use_ignores_past_clinic_administrations()
    {
        var history = new HistoryBuilder()
            .Administration("adm-1", Fixed.Now.AddDays(-1))
            .Administration("adm-2", Fixed.Now.AddDays(-2))
            .Administration("adm-3", Fixed.Now.AddDays(-3));

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }
}

public sealed class CumulativeDoseRuleTests
{
    private const string Code = "CUMULATIVE_DOSE";

    [Theory]
    [InlineData(3600, false)]
    [InlineData(3601, true)]
    public void Fires_above_3600_mg_including_this_prescription(double requestedMg, bool fires)
    {
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { TotalMg = requestedMg, DaysSupply = 90 } };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData(1200, 10, 0, false)] // 2400 requested + 1200 dispensed = 3600
    [InlineData(1200.5, 10, 0, true)]
    [InlineData(1300, 30, 0, true)] // dispensed exactly 30 days ago: inside the window
    [InlineData(1300, 30, 1, false)] // 30 days and a minute: outside
    public void Counts_fills_dispensed_in_the_last_30_days(double dispensedMg, int daysAgo, int extraMinutes, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-45), platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-daysAgo).AddMinutes(-extraMinutes), totalMg: dispensedMg, platform: Fixed.Other);

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData(600, true)] // 600 of another platform's 2400 mg dispensed: the other 1800 can still be, 4800 in all
    [InlineData(2400, true)]
    public void Counts_a_partly_filled_prescription_of_the_window_as_prescribed(double dispensedMg, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-12), platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-12), totalMg: dispensedMg, daysSupply: 7, platform: Fixed.Other);

        var finding = Guard.Find(Code, new CheckBuilder(), history);

        Expect.Hit(finding, Code, fires, Severity.Critical);
        Assert.Contains("totals 4800 mg", finding!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_what_was_dispensed_when_it_is_more_than_prescribed()
    {
        // A fill and its refill inside the window: 2 x 2400 mg dispensed of a 2400 mg prescription.
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-29), Meds.HomeSublingual with { RefillsAuthorized = 1 }, platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-0", "rx-9", Fixed.Now.AddDays(-29), platform: Fixed.Other)
            .Dispense("d-1", "rx-9", Fixed.Now.AddDays(-2), fillNumber: 1, platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical);
        Assert.Contains("totals 7200 mg", finding.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, true)] // issued in the window, not yet filled: its 1300 mg count
    [InlineData(31, false)]
    public void Counts_unfilled_prescriptions_issued_in_the_window(int issuedDaysAgo, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-issuedDaysAgo), Meds.HomeSublingual with { TotalMg = 1300 });

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical, "rx-9");
    }

    [Fact]
    public void Counts_a_fill_whose_prescription_is_not_on_record()
    {
        var history = new HistoryBuilder().Dispense("d-orphan", "rx-unknown", Fixed.Now.AddDays(-5), totalMg: 1300);

        Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical, "d-orphan");
    }

    [Theory]
    [InlineData(AdministrationSetting.HomeUse, DrugClass.Ketamine, true)]
    [InlineData(AdministrationSetting.HomeUse, DrugClass.Opioid, false)]
    [InlineData(AdministrationSetting.ClinicAdministered, DrugClass.Ketamine, false)]
    public void Counts_pending_home_use_ketamine_reservations(AdministrationSetting setting, DrugClass drugClass, bool fires)
    {
        var history = new HistoryBuilder()
            .Reservation("dec-1", Meds.HomeSublingual with { Setting = setting, DrugClass = drugClass, TotalMg = 1300 });

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical, "dec-1");
    }

    [Theory]
    [InlineData(DrugClass.Opioid, AdministrationSetting.HomeUse)]
    [InlineData(DrugClass.Ketamine, AdministrationSetting.ClinicAdministered)]
    public void Ignores_fills_of_other_drugs_and_clinic_ketamine(DrugClass drugClass, AdministrationSetting setting)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-20), Meds.HomeSublingual with { DrugClass = drugClass, Setting = setting })
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-20), totalMg: 5000);

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }

    [Fact]
    public void Applies_only_to_home_use_ketamine_requests()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-20))
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-20), totalMg: 5000);

        Assert.Null(Guard.Find(Code, new CheckBuilder { Medication = Meds.ClinicInfusion }, history));
    }

    [Fact]
    public void A_refill_does_not_count_its_unfilled_prescription_twice()
    {
        // Unfilled, the target's 2400 mg are exactly what this refill request asks for.
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-10), Meds.HomeSublingual with { RefillsAuthorized = 1 });

        Assert.Null(Guard.Find(Code, new CheckBuilder { RefillOf = "rx-1" }, history));
    }

    [Fact]
    public void A_refill_counts_its_prescriptions_earlier_fills()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-25), Meds.HomeSublingual with { RefillsAuthorized = 1 })
            .Dispense("d-1", "rx-1", Fixed.Now.AddDays(-25));

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder { RefillOf = "rx-1" }, history), Code, Severity.Critical, "rx-1", "d-1");
        Assert.StartsWith("4800 mg", finding.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Sums_across_platforms_and_cites_only_the_callers_records()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-own", Fixed.Now.AddDays(-40))
            .Dispense("d-own", "rx-own", Fixed.Now.AddDays(-12), totalMg: 600)
            .Prescription("rx-theirs", Fixed.Now.AddDays(-20), platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-theirs", "rx-theirs", Fixed.Now.AddDays(-20), totalMg: 700, platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical, "rx-own", "d-own");
        Assert.Contains("totals 5400 mg", finding.Detail, StringComparison.Ordinal);
    }
}
