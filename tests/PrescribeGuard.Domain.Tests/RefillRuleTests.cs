using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Tests;

public sealed class RefillAfterSixMonthsRuleTests
{
    private const string Code = "REFILL_AFTER_SIX_MONTHS";
    private static readonly CheckBuilder Refill = new() { RefillOf = "rx-1" };

    [Theory]
    [InlineData("2025-12-02T09:00:00Z", false)] // a day short of six months
    [InlineData("2025-12-01T12:00:00Z", false)] // exactly six months
    [InlineData("2025-12-01T09:00:00Z", false)] // six months and three hours by the clock, but the last date is not over
    [InlineData("2025-11-30T23:59:00Z", true)] // issued the date before: six months and a day
    [InlineData("2025-10-01T12:00:00Z", true)] // eight months
    public void Fires_once_the_prescription_was_issued_more_than_six_months_before_the_date(string issuedAt, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Utc(issuedAt), Meds.HomeSublingual with { RefillsAuthorized = 5 });

        Expect.Hit(Guard.Find(Code, Refill, history), Code, fires, Severity.Critical, "rx-1");
    }

    [Theory]
    [InlineData("2026-06-01T18:00:00-07:00", false)] // June 1 in California, already June 2 in UTC
    [InlineData("2026-06-02T00:30:00-07:00", true)] // June 2 in California too
    public void Counts_the_dates_in_the_patients_calendar(string refilledAt, bool fires)
    {
        var california = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");
        var history = new HistoryBuilder()
            .Prescription("rx-1", DateTimeOffset.Parse("2025-12-01T09:00:00-08:00", System.Globalization.CultureInfo.InvariantCulture), Meds.HomeSublingual with { RefillsAuthorized = 5 });
        var check = Refill with { State = "CA", TimeZone = california, At = DateTimeOffset.Parse(refilledAt, System.Globalization.CultureInfo.InvariantCulture) };

        Expect.Hit(Guard.Find(Code, check, history), Code, fires, Severity.Critical, "rx-1");
    }

    [Theory]
    [InlineData(null, "rx-1", Fixed.Caller)] // a new prescription, not a refill
    [InlineData("rx-unknown", "rx-1", Fixed.Caller)] // the refilled prescription is not on record
    [InlineData("rx-1", "rx-1", Fixed.Other)] // the same id on another platform is another prescription
    public void Does_not_fire_without_a_refill_target(string? refillOf, string historyId, string historyPlatform)
    {
        var history = new HistoryBuilder().Prescription(historyId, Fixed.Now.AddMonths(-9), platform: historyPlatform);

        Assert.Null(Guard.Find(Code, new CheckBuilder { RefillOf = refillOf }, history));
    }

    [Theory]
    [InlineData(3, 4, true)]
    [InlineData(3, 2, false)]
    public void Honours_a_stricter_policy(int maxAgeMonths, int ageMonths, bool fires)
    {
        var policy = Guard.WithParameter(Code, "maxAgeMonths", maxAgeMonths);
        var history = new HistoryBuilder().Prescription("rx-1", Fixed.Now.AddMonths(-ageMonths));

        Expect.Hit(Guard.Find(Code, Refill, history, policy), Code, fires, Severity.Critical, "rx-1");
    }
}

public sealed class RefillLimitExceededRuleTests
{
    private const string Code = "REFILL_LIMIT_EXCEEDED";
    private static readonly CheckBuilder Refill = new() { RefillOf = "rx-1" };

    [Theory]
    [InlineData(5, 4, false)] // this is the 5th refill
    [InlineData(5, 5, true)] // this would be the 6th
    [InlineData(8, 4, false)]
    [InlineData(8, 5, true)] // the legal limit caps what the prescriber wrote
    [InlineData(1, 0, false)]
    [InlineData(1, 1, true)] // the prescriber's authorisation caps below the legal limit
    [InlineData(0, 0, true)] // no refills authorised at all
    public void Fires_when_the_refill_count_is_exhausted(int refillsAuthorized, int refillsDone, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddMonths(-5), Meds.HomeSublingual with { RefillsAuthorized = refillsAuthorized });
        var evidence = new List<string> { "rx-1" };
        for (var fill = 0; fill <= refillsDone; fill++)
        {
            history.Dispense($"d-{fill}", "rx-1", Fixed.Now.AddMonths(-5).AddDays(fill * 28), fillNumber: fill);
            evidence.Add($"d-{fill}");
        }

        var finding = Guard.Find(Code, Refill, history);

        Expect.Hit(finding, Code, fires, Severity.Critical, [.. evidence]);
        if (fires)
        {
            Assert.Contains($"refill {refillsDone + 1}", finding!.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(2400, false)] // fills total exactly the 4800 mg prescribed with its one refill
    [InlineData(2400.1, true)]
    [InlineData(1200, false)]
    public void Fires_when_partial_fills_would_exceed_the_quantity_prescribed(double requestedMg, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-40), Meds.HomeSublingual with { RefillsAuthorized = 1 })
            .Dispense("d-0a", "rx-1", Fixed.Now.AddDays(-40), totalMg: 1200, fillNumber: 0)
            .Dispense("d-0b", "rx-1", Fixed.Now.AddDays(-30), totalMg: 1200, fillNumber: 0);
        var check = Refill with { Medication = Meds.HomeSublingual with { TotalMg = requestedMg } };

        var finding = Guard.Find(Code, check, history);

        Expect.Hit(finding, Code, fires, Severity.Critical, "rx-1", "d-0a", "d-0b");
        if (fires)
        {
            Assert.Contains("4800 mg prescribed", finding!.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("refill 2", finding.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(600, false)] // 1200 mg dispensed plus 600: the 1800 mg of the prescription and its five legal refills
    [InlineData(600.1, true)] // beyond them, though the prescriber wrote twelve refills (13 x 300 mg)
    public void The_quantity_prescribed_counts_only_the_refills_that_may_be_filled(double requestedMg, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-120), Meds.HomeSublingual with { TotalMg = 300, RefillsAuthorized = 12 });
        for (var fill = 0; fill <= 3; fill++)
        {
            history.Dispense($"d-{fill}", "rx-1", Fixed.Now.AddDays(-120 + (fill * 28)), totalMg: 300, fillNumber: fill);
        }

        var check = Refill with { Medication = Meds.HomeSublingual with { TotalMg = requestedMg } };

        var finding = Guard.Find(Code, check, history);

        Expect.Hit(finding, Code, fires, Severity.Critical, "rx-1", "d-0", "d-1", "d-2", "d-3");
        if (fires)
        {
            Assert.Contains("1800 mg prescribed", finding!.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("refill 4", finding.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(4, false)] // refill 4 on record: this is the fifth
    [InlineData(5, true)] // refill 5 on record though no platform reported 1-4: this would be the sixth
    public void Counts_the_refill_number_the_pharmacy_reported(int lastRefillNumber, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-150), Meds.HomeSublingual with { TotalMg = 300, RefillsAuthorized = 5 })
            .Dispense("d-0", "rx-1", Fixed.Now.AddDays(-150), totalMg: 300, fillNumber: 0)
            .Dispense("d-last", "rx-1", Fixed.Now.AddDays(-28), totalMg: 300, fillNumber: lastRefillNumber);
        var check = Refill with { Medication = Meds.HomeSublingual with { TotalMg = 300 } };

        var finding = Guard.Find(Code, check, history);

        Expect.Hit(finding, Code, fires, Severity.Critical, "rx-1", "d-0", "d-last");
        if (fires)
        {
            Assert.Contains("refill 6", finding!.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tolerates_rounding_noise_in_the_quantity_sum()
    {
        // 0.1 + 0.2 + 0.3 is 0.6000000000000001 in binary floating point; the authorised total is 0.6.
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-20), Meds.HomeSublingual with { TotalMg = 0.3, RefillsAuthorized = 1 })
            .Dispense("d-0a", "rx-1", Fixed.Now.AddDays(-20), totalMg: 0.1)
            .Dispense("d-0b", "rx-1", Fixed.Now.AddDays(-15), totalMg: 0.2);
        var check = Refill with { Medication = Meds.HomeSublingual with { TotalMg = 0.3 } };

        Assert.Null(Guard.Find(Code, check, history));
    }

    [Fact]
    public void Does_not_fire_for_a_new_prescription()
    {
        var history = new HistoryBuilder().Prescription("rx-1", Fixed.Now.AddDays(-20));

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }
}

public sealed class RefillTooEarlyRuleTests
{
    private const string Code = "REFILL_TOO_EARLY";
    private static readonly CheckBuilder Refill = new() { RefillOf = "rx-1" };

    private static HistoryBuilder Target() =>
        new HistoryBuilder().Prescription("rx-1", Fixed.Now.AddDays(-60), Meds.HomeSublingual with { RefillsAuthorized = 5 });

    [Theory]
    [InlineData(28, -1, false)] // 6 days 23:59 early
    [InlineData(28, 0, false)] // exactly 7 days early
    [InlineData(28, 1, true)] // 7 days and a minute early
    [InlineData(14, 0, false)] // the dispense's own days' supply counts
    [InlineData(14, 1, true)]
    [InlineData(0, 0, false)] // no days' supply on the fill: the prescription's 28 days stand
    [InlineData(0, 1, true)]
    public void Fires_more_than_seven_days_before_the_supply_runs_out(int dispenseDaysSupply, int minutesEarlyBeyondSeven, bool fires)
    {
        var effectiveDays = dispenseDaysSupply > 0 ? dispenseDaysSupply : 28;
        // The supply runs out at dispensedAt + effectiveDays; make that Now + 7 days + the offset.
        var dispensedAt = Fixed.Now.AddDays(7 - effectiveDays).AddMinutes(minutesEarlyBeyondSeven);
        var history = Target().Dispense("d-1", "rx-1", dispensedAt, daysSupply: dispenseDaysSupply);

        Expect.Hit(Guard.Find(Code, Refill, history), Code, fires, Severity.Warning, "rx-1", "d-1");
    }

    [Fact]
    public void An_earlier_fill_that_ran_out_before_the_latest_adds_nothing()
    {
        var history = Target()
            .Dispense("d-old", "rx-1", Fixed.Now.AddDays(-50))
            .Dispense("d-new", "rx-1", Fixed.Now.AddDays(-20), fillNumber: 1);

        var finding = Expect.Fired(Guard.Find(Code, Refill, history), Code, Severity.Warning, "rx-1", "d-new");
        Assert.Contains("8 days", finding.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the history's order does not matter
    public void Counts_what_an_earlier_fill_left_when_the_next_came_early(bool newestFirst)
    {
        // 30 days filled 20 days ago, then 7 more 15 days ago: the patient holds supply until day +17,
        // not until the 7-day fill's own end (8 days ago).
        var history = newestFirst
            ? Target().Dispense("d-2", "rx-1", Fixed.Now.AddDays(-15), fillNumber: 1, daysSupply: 7).Dispense("d-1", "rx-1", Fixed.Now.AddDays(-20), daysSupply: 30)
            : Target().Dispense("d-1", "rx-1", Fixed.Now.AddDays(-20), daysSupply: 30).Dispense("d-2", "rx-1", Fixed.Now.AddDays(-15), fillNumber: 1, daysSupply: 7);

        var finding = Expect.Fired(Guard.Find(Code, Refill, history), Code, Severity.Warning, "rx-1", "d-2");
        Assert.Contains("17 days before", finding.Summary, StringComparison.Ordinal);
        Assert.Contains("with what earlier fills left, lasts 32 days from it", finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_a_fill_dispensed_in_two_partials_as_one_supply()
    {
        // The pharmacy had 7 days on day -20 and the other 21 on day -18 (21 CFR 1306.23): 28 days from
        // day -20 run out on day +8, so a refill today is 8 days early, not 3.
        var history = Target()
            .Dispense("d-0a", "rx-1", Fixed.Now.AddDays(-20), totalMg: 600, daysSupply: 7)
            .Dispense("d-0b", "rx-1", Fixed.Now.AddDays(-18), totalMg: 1800, daysSupply: 21);

        var finding = Expect.Fired(Guard.Find(Code, Refill, history), Code, Severity.Warning, "rx-1", "d-0b");
        Assert.Contains("8 days before", finding.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Same_day_partials_give_one_answer_whatever_their_order(bool longFirst)
    {
        // Fill dates without a time of day: both partials on one instant, 28 days in all from day -10.
        var day = Fixed.Now.AddDays(-10);
        var history = longFirst
            ? Target().Dispense("d-0b", "rx-1", day, totalMg: 1800, daysSupply: 21).Dispense("d-0a", "rx-1", day, totalMg: 600, daysSupply: 7)
            : Target().Dispense("d-0a", "rx-1", day, totalMg: 600, daysSupply: 7).Dispense("d-0b", "rx-1", day, totalMg: 1800, daysSupply: 21);

        var finding = Expect.Fired(Guard.Find(Code, Refill, history), Code, Severity.Warning, "rx-1", "d-0b");
        Assert.Contains("18 days before", finding.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)] // more fills than are sorted on the stack
    public void Adds_up_any_number_of_fills(int fills)
    {
        // Two days each, handed out daily (listed newest first) until yesterday: the supply runs out as many days from now as there were fills.
        var history = Target();
        for (var i = fills - 1; i >= 0; i--)
        {
            history.Dispense($"d-{i}", "rx-1", Fixed.Now.AddDays(i - fills), totalMg: 10, daysSupply: 2);
        }

        var finding = Guard.Find(Code, Refill, history);

        var daysEarly = fills;
        Expect.Hit(finding, Code, daysEarly > 7, Severity.Warning, [.. new[] { "rx-1", $"d-{fills - 1}" }]);
        if (daysEarly > 7)
        {
            Assert.Contains($"{daysEarly} days before", finding!.Summary, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_gap_between_fills_is_not_carried()
    {
        // 28 days filled 40 days ago ran out 12 days ago; the 14-day fill 10 days ago started afresh.
        var history = Target()
            .Dispense("d-1", "rx-1", Fixed.Now.AddDays(-40))
            .Dispense("d-2", "rx-1", Fixed.Now.AddDays(-10), fillNumber: 1, daysSupply: 14);

        Assert.Null(Guard.Find(Code, Refill, history));
    }

    [Fact]
    public void Does_not_fire_before_the_first_fill() =>
        Assert.Null(Guard.Find(Code, Refill, Target()));

    [Fact]
    public void Ignores_fills_recorded_after_the_evaluation_time()
    {
        var history = Target()
            .Dispense("d-1", "rx-1", Fixed.Now.AddDays(-25))
            .Dispense("d-future", "rx-1", Fixed.Now.AddDays(1), fillNumber: 1);

        Assert.Null(Guard.Find(Code, Refill, history));
    }
}
