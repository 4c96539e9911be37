using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class DuplicateActiveKetamineRuleTests
{
    private const string Code = "DUPLICATE_ACTIVE_KETAMINE";

    [Theory]
    [InlineData(Fixed.Caller, 0, false)] // its 28 days ran out exactly now
    [InlineData(Fixed.Caller, 1, true)] // a minute of supply left
    [InlineData(Fixed.Other, 1, true)] // another platform's: fires, its id stays hidden
    public void Fires_while_another_ketamine_prescription_is_active(string platform, int minutesLeft, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-28).AddMinutes(minutesLeft), platform: platform, npi: Fixed.OtherNpi);
        var evidence = platform == Fixed.Caller ? new[] { "rx-9" } : [];

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical, evidence);
    }

    [Fact]
    public void A_later_fill_keeps_a_prescription_active()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-60), platform: Fixed.Other)
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-10), platform: Fixed.Other);

        Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical);
    }

    [Theory]
    [InlineData(20, true)] // 7 of 28 days dispensed 20 days ago: the other 21 can still be, the course runs to day +8
    [InlineData(29, false)] // the course is over too
    public void A_partly_filled_prescription_stays_active_for_its_course(int issuedDaysAgo, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-issuedDaysAgo), platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-9", "rx-9", Fixed.Now.AddDays(-issuedDaysAgo), totalMg: 300, daysSupply: 7, platform: Fixed.Other);

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical);
    }

    [Fact]
    public void An_early_short_refill_does_not_end_the_supply_an_earlier_fill_left()
    {
        // Another platform filled 30 days 20 days ago and 7 more 15 days ago: supply on hand until day +17.
        var history = new HistoryBuilder()
            .Prescription("rx-9", Fixed.Now.AddDays(-20), Meds.HomeSublingual with { DaysSupply = 30, RefillsAuthorized = 1 }, platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-0", "rx-9", Fixed.Now.AddDays(-20), daysSupply: 30, platform: Fixed.Other)
            .Dispense("d-1", "rx-9", Fixed.Now.AddDays(-15), totalMg: 600, fillNumber: 1, daysSupply: 7, platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical);
        Assert.Contains($"supply lasts until {Fixed.Now.AddDays(17):yyyy-MM-dd}", finding.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DrugClass.Esketamine, true)]
    [InlineData(DrugClass.Opioid, false)]
    [InlineData(DrugClass.Buprenorphine, false)]
    public void Counts_ketamine_and_esketamine_only(DrugClass drugClass, bool fires)
    {
        var history = new HistoryBuilder().Prescription("rx-9", Fixed.Now.AddDays(-3), Meds.Other(drugClass));

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical, "rx-9");
    }

    [Fact]
    public void A_refill_does_not_duplicate_its_own_prescription()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-25), Meds.HomeSublingual with { RefillsAuthorized = 2 });

        Assert.Null(Guard.Find(Code, new CheckBuilder { RefillOf = "rx-1" }, history));
    }

    [Fact]
    public void A_refill_still_sees_other_active_prescriptions()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-25), Meds.HomeSublingual with { RefillsAuthorized = 2 })
            .Prescription("rx-2", Fixed.Now.AddDays(-5))
            .Prescription("rx-3", Fixed.Now.AddDays(-5), platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder { RefillOf = "rx-1" }, history), Code, Severity.Critical, "rx-2");
        Assert.Contains("2 active ketamine prescription(s) and 0 pending reservation(s) on 2 platform(s)", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("rx-3", finding.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Fixed.Other, finding.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Fixed.Caller, -5, 15, true)] // pending
    [InlineData(Fixed.Other, -5, 15, true)]
    [InlineData(Fixed.Caller, -21, 15, false)] // expired six minutes ago
    [InlineData(Fixed.Caller, -20, 15, false)] // expired exactly the clock tolerance ago
    [InlineData(Fixed.Caller, -19, 15, true)] // expired four minutes ago: an instance whose clock runs behind may still confirm it
    [InlineData(Fixed.Caller, -15, 15, true)] // expires exactly now
    [InlineData(Fixed.Caller, 5, 15, true)] // made by an instance whose clock runs 5 minutes ahead (ClockSkew.Tolerance)
    [InlineData(Fixed.Caller, 6, 15, false)] // not created yet at the evaluation time, beyond any clock skew
    public void Counts_pending_reservations(string platform, int createdMinutesFromNow, int ttlMinutes, bool fires)
    {
        var history = new HistoryBuilder().Reservation(
            "dec-1", Meds.HomeSublingual, Fixed.Now.AddMinutes(createdMinutesFromNow), TimeSpan.FromMinutes(ttlMinutes), platform);
        var evidence = platform == Fixed.Caller ? new[] { "dec-1" } : [];

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical, evidence);
    }

    [Fact]
    public void Ignores_a_pending_reservation_for_another_drug()
    {
        var history = new HistoryBuilder().Reservation("dec-1", Meds.Other(DrugClass.Benzodiazepine));

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }
}

public sealed class ConcurrentCnsDepressantRuleTests
{
    private const string Code = "CONCURRENT_CNS_DEPRESSANT";

    [Theory]
    [InlineData(DrugClass.Opioid, 10, true)]
    [InlineData(DrugClass.Benzodiazepine, 10, true)]
    [InlineData(DrugClass.Buprenorphine, 29, true)]
    [InlineData(DrugClass.Buprenorphine, 30, false)] // its 30 days ran out
    [InlineData(DrugClass.Stimulant, 10, false)]
    [InlineData(DrugClass.OtherControlled, 10, false)]
    [InlineData(DrugClass.Ketamine, 10, false)]
    public void Fires_for_an_active_opioid_benzodiazepine_or_buprenorphine(DrugClass drugClass, int issuedDaysAgo, bool fires)
    {
        var history = new HistoryBuilder().Prescription("rx-7", Fixed.Now.AddDays(-issuedDaysAgo), Meds.Other(drugClass), npi: Fixed.OtherNpi);

        var finding = Guard.Find(Code, new CheckBuilder(), history);

        Expect.Hit(finding, Code, fires, Severity.Warning, "rx-7");
        if (fires)
        {
            Assert.Contains(drugClass.ToString(), finding!.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_early_short_refill_keeps_the_supply_an_earlier_fill_left()
    {
        // 30 days of an opioid filled 20 days ago and 5 more 15 days ago: supply on hand until day +15.
        var history = new HistoryBuilder()
            .Prescription("rx-o", Fixed.Now.AddDays(-20), Meds.Other(DrugClass.Opioid) with { RefillsAuthorized = 1 }, platform: Fixed.Other, npi: Fixed.OtherNpi)
            .Dispense("d-0", "rx-o", Fixed.Now.AddDays(-20), totalMg: 300, daysSupply: 30, platform: Fixed.Other)
            .Dispense("d-1", "rx-o", Fixed.Now.AddDays(-15), totalMg: 50, fillNumber: 1, daysSupply: 5, platform: Fixed.Other);

        Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Warning);
    }

    [Fact]
    public void Names_every_class_and_hides_other_platforms_ids()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-7", Fixed.Now.AddDays(-3), Meds.Other(DrugClass.Buprenorphine), platform: Fixed.Other)
            .Prescription("rx-8", Fixed.Now.AddDays(-3), Meds.Other(DrugClass.Opioid), platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Warning);
        Assert.Contains("Opioid, Buprenorphine", finding.Summary, StringComparison.Ordinal);
    }
}

public sealed class MultipleProviderEpisodeRuleTests
{
    private const string Code = "MULTIPLE_PROVIDER_EPISODE";

    /// <summary>Prescriptions by <paramref name="prescribers"/> others, and fills at <paramref name="pharmacies"/> pharmacies, 10 days ago on another platform.</summary>
    internal static HistoryBuilder Shopping(int prescribers, int pharmacies, DateTimeOffset? at = null)
    {
        var history = new HistoryBuilder();
        var when = at ?? Fixed.Now.AddDays(-10);
        for (var i = 1; i <= Math.Max(prescribers, pharmacies); i++)
        {
            // Any controlled substance counts, not only ketamine.
            history.Prescription($"rx-{i}", when, Meds.Other(DrugClass.Stimulant), platform: Fixed.Other, npi: i <= prescribers ? $"npi-{i}" : Fixed.PrescriberNpi);
            if (i <= pharmacies)
            {
                history.Dispense($"d-{i}", $"rx-{i}", when, pharmacy: $"pharmacy-{i}", platform: Fixed.Other);
            }
        }

        return history;
    }

    [Theory]
    [InlineData(4, 4, true, true)] // with this request: 5 prescribers, 5 pharmacies
    [InlineData(3, 4, true, false)]
    [InlineData(4, 3, true, false)]
    [InlineData(4, 4, false, false)] // no pharmacy named: 4 pharmacies
    [InlineData(4, 5, false, true)]
    public void Fires_at_five_prescribers_and_five_pharmacies(int otherPrescribers, int pharmacies, bool namesPharmacy, bool fires)
    {
        var check = new CheckBuilder { PharmacyId = namesPharmacy ? Fixed.Pharmacy : null };

        Expect.Hit(Guard.Find(Code, check, Shopping(otherPrescribers, pharmacies)), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData(0, true)] // exactly 90 days ago
    [InlineData(1, false)] // 90 days and a minute
    public void Counts_only_the_last_90_days(int extraMinutes, bool fires)
    {
        var history = Shopping(3, 3).Prescription("rx-edge", Fixed.Now.AddDays(-90).AddMinutes(-extraMinutes), platform: Fixed.Other, npi: "npi-edge");
        history.Dispense("d-edge", "rx-edge", Fixed.Now.AddDays(-90).AddMinutes(-extraMinutes), pharmacy: "pharmacy-edge", platform: Fixed.Other);

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Critical);
    }

    [Fact]
    public void The_requesting_prescriber_is_counted_once_and_own_records_are_cited()
    {
        var history = Shopping(4, 4)
            .Prescription("rx-own", Fixed.Now.AddDays(-30), Meds.Other(DrugClass.Stimulant))
            .Dispense("d-own", "rx-own", Fixed.Now.AddDays(-29));

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Critical, "rx-own", "d-own");
        Assert.StartsWith("5 prescribers and 5 pharmacies", finding.Summary, StringComparison.Ordinal);
    }
}

public sealed class MultipleProvidersRuleTests
{
    private const string Code = "MULTIPLE_PROVIDERS";

    [Theory]
    [InlineData(2, 0, null, true)] // two other prescribers
    [InlineData(1, 0, null, false)]
    [InlineData(0, 3, null, true)] // three pharmacies
    [InlineData(1, 2, "pharmacy-new", true)] // this request's pharmacy is the third
    [InlineData(1, 2, "pharmacy-1", false)] // this request's pharmacy is one already seen
    [InlineData(1, 2, null, false)]
    public void Fires_at_two_other_prescribers_or_three_pharmacies(int otherPrescribers, int pharmacies, string? checkPharmacy, bool fires)
    {
        var check = new CheckBuilder { PharmacyId = checkPharmacy };

        Expect.Hit(
            Guard.Find(Code, check, MultipleProviderEpisodeRuleTests.Shopping(otherPrescribers, pharmacies)),
            Code,
            fires,
            Severity.Warning);
    }

    [Fact]
    public void The_requesting_prescribers_own_prescriptions_are_not_others()
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-80))
            .Prescription("rx-2", Fixed.Now.AddDays(-50), Meds.Other(DrugClass.Opioid))
            .Prescription("rx-3", Fixed.Now.AddDays(-20), platform: Fixed.Other);

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void Counts_only_the_last_90_days(int extraMinutes, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-5), npi: "npi-1")
            .Prescription("rx-2", Fixed.Now.AddDays(-90).AddMinutes(-extraMinutes), npi: "npi-2");

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Warning, "rx-1", "rx-2");
    }
}
