using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class InPersonEvaluationRequiredRuleTests
{
    private const string Code = "IN_PERSON_EVALUATION_REQUIRED";
    private static readonly DateTimeOffset AfterFlexibilities = Fixed.Utc("2027-03-01T12:00:00Z");

    [Theory]
    [InlineData("2026-06-01T12:00:00Z", false)]
    [InlineData("2026-12-31T23:59:00Z", false)] // the last minute of the flexibilities
    [InlineData("2027-01-01T00:00:00Z", true)] // the first minute after them
    public void Applies_only_after_the_flexibility_end_date(string at, bool fires)
    {
        var check = new CheckBuilder { At = Fixed.Utc(at) };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData("America/Los_Angeles", "2026-12-31T16:30:00-08:00", false)] // still Dec 31 in California, Jan 1 in UTC
    [InlineData("America/Los_Angeles", "2027-01-01T00:30:00-08:00", true)]
    [InlineData("Pacific/Honolulu", "2026-12-31T23:59:00-10:00", false)]
    [InlineData("America/New_York", "2027-01-01T00:30:00-05:00", true)] // Jan 1 in New York, though Dec 31 farther west
    public void The_last_day_runs_to_its_end_in_the_patients_calendar(string zone, string at, bool fires)
    {
        var check = new CheckBuilder
        {
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone),
            At = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture),
        };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData(EncounterKind.InPersonEvaluation, Fixed.PrescriberNpi, 60, 0, false)] // the prescriber's own, however old
    [InlineData(EncounterKind.InPersonEvaluation, Fixed.OtherNpi, 24, 0, false)] // a colleague's, exactly 24 months ago
    [InlineData(EncounterKind.InPersonEvaluation, Fixed.OtherNpi, 24, 1, true)] // a colleague's, a minute too old
    [InlineData(EncounterKind.InPersonEvaluation, Fixed.OtherNpi, 3, 0, false)]
    [InlineData(EncounterKind.SupervisedAdministration, Fixed.PrescriberNpi, 1, 0, true)] // an administration is no evaluation
    public void Is_satisfied_by_the_prescribers_evaluation_or_a_recent_covering_one(
        EncounterKind kind, string clinicianNpi, int monthsAgo, int extraMinutes, bool fires)
    {
        var at = AfterFlexibilities.AddMonths(-monthsAgo).AddMinutes(-extraMinutes);
        var history = kind == EncounterKind.InPersonEvaluation
            ? new HistoryBuilder().Evaluation("enc-1", at, npi: clinicianNpi, platform: Fixed.Other)
            : new HistoryBuilder().Administration("enc-1", at);

        Expect.Hit(Guard.Find(Code, new CheckBuilder { At = AfterFlexibilities }, history), Code, fires, Severity.Critical);
    }

    [Theory]
    [InlineData(EncounterMode.InPerson, false)]
    [InlineData(EncounterMode.TelemedicineAudioVideo, true)]
    [InlineData(EncounterMode.TelemedicineAudioOnly, true)]
    public void Applies_only_to_telemedicine(EncounterMode mode, bool fires)
    {
        var check = new CheckBuilder { At = AfterFlexibilities, Mode = mode };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }

    [Fact]
    public void An_evaluation_recorded_after_the_evaluation_time_does_not_count()
    {
        var history = new HistoryBuilder().Evaluation("enc-1", AfterFlexibilities.AddDays(1));

        Expect.Fired(Guard.Find(Code, new CheckBuilder { At = AfterFlexibilities }, history), Code, Severity.Critical);
    }

    [Fact]
    public void Follows_the_policys_flexibility_date()
    {
        var policy = Guard.DefaultPolicy with { TelemedicineFlexibilityLastDay = new DateOnly(2026, 5, 31) };

        Expect.Fired(Guard.Find(Code, new CheckBuilder(), policy: policy), Code, Severity.Critical);
    }
}

public sealed class InPersonEvaluationStaleRuleTests
{
    private const string Code = "IN_PERSON_EVALUATION_STALE";

    [Theory]
    [InlineData(Fixed.Caller, 0, false)] // exactly 24 months old
    [InlineData(Fixed.Caller, 1, true)] // 24 months and a minute
    [InlineData(Fixed.Other, 1, true)] // another platform's: fires, its id stays hidden
    public void Fires_when_the_latest_evaluation_is_older_than_24_months(string platform, int extraMinutes, bool fires)
    {
        var history = new HistoryBuilder()
            .Evaluation("enc-1", Fixed.Now.AddMonths(-24).AddMinutes(-extraMinutes), platform: platform);
        var evidence = platform == Fixed.Caller ? new[] { "enc-1" } : [];

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Warning, evidence);
    }

    [Fact]
    public void A_recent_evaluation_outweighs_an_old_one()
    {
        var history = new HistoryBuilder()
            .Evaluation("enc-old", Fixed.Now.AddMonths(-40))
            .Evaluation("enc-new", Fixed.Now.AddMonths(-2), npi: Fixed.OtherNpi);

        Assert.Null(Guard.Find(Code, new CheckBuilder(), history));
    }

    [Theory]
    [InlineData(EncounterMode.InPerson, true)] // not telemedicine
    [InlineData(EncounterMode.TelemedicineAudioVideo, false)] // no evaluation at all: the REQUIRED rule's concern
    public void Does_not_fire_in_person_or_without_any_evaluation(EncounterMode mode, bool withOldEvaluation)
    {
        var history = new HistoryBuilder();
        if (withOldEvaluation)
        {
            history.Evaluation("enc-1", Fixed.Now.AddMonths(-40));
        }

        Assert.Null(Guard.Find(Code, new CheckBuilder { Mode = mode }, history));
    }
}

public sealed class AudioOnlyEncounterRuleTests
{
    private const string Code = "AUDIO_ONLY_ENCOUNTER";

    [Theory]
    [InlineData(EncounterMode.TelemedicineAudioOnly, true)]
    [InlineData(EncounterMode.TelemedicineAudioVideo, false)]
    [InlineData(EncounterMode.InPerson, false)]
    public void Fires_for_audio_only_encounters(EncounterMode mode, bool fires) =>
        Expect.Hit(Guard.Find(Code, new CheckBuilder { Mode = mode }), Code, fires, Severity.Warning);
}

public sealed class TelemedicineSupplyLimitRuleTests
{
    private const string Code = "TELEMEDICINE_SUPPLY_LIMIT";

    [Theory]
    [InlineData(30, EncounterMode.TelemedicineAudioVideo, false, false)]
    [InlineData(31, EncounterMode.TelemedicineAudioVideo, false, true)]
    [InlineData(31, EncounterMode.TelemedicineAudioOnly, false, true)]
    [InlineData(31, EncounterMode.TelemedicineAudioVideo, true, false)] // an in-person evaluation is on record
    [InlineData(31, EncounterMode.InPerson, false, false)]
    public void Fires_for_over_30_days_by_telemedicine_before_any_evaluation(int daysSupply, EncounterMode mode, bool evaluated, bool fires)
    {
        var history = new HistoryBuilder();
        if (evaluated)
        {
            history.Evaluation("enc-1", Fixed.Now.AddYears(-1), npi: Fixed.OtherNpi, platform: Fixed.Other);
        }

        var check = new CheckBuilder { Mode = mode, Medication = Meds.HomeSublingual with { DaysSupply = daysSupply } };

        Expect.Hit(Guard.Find(Code, check, history), Code, fires, Severity.Warning);
    }

    [Theory]
    [InlineData(28, 2, true)] // 84 days authorised
    [InlineData(10, 2, false)] // 30 days in all
    [InlineData(11, 2, true)]
    public void Counts_the_refills_a_prescription_authorises(int daysSupply, int refills, bool fires)
    {
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { DaysSupply = daysSupply, RefillsAuthorized = refills } };

        var finding = Guard.Find(Code, check);

        Expect.Hit(finding, Code, fires, Severity.Warning);
        if (fires)
        {
            Assert.StartsWith($"{daysSupply * (1 + refills)}-day supply", finding!.Summary, StringComparison.Ordinal);
            Assert.EndsWith($"this one covers {daysSupply} with {refills} refill(s): {daysSupply * (1 + refills)}.", finding.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(Fixed.PrescriberNpi, true)] // 20 days earlier and 14 now, by one prescriber: 34
    [InlineData(Fixed.OtherNpi, false)] // another prescriber's prescription is not this one's telemedicine supply
    public void Adds_the_prescribers_earlier_ketamine_prescriptions(string earlierNpi, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-40), Meds.HomeSublingual with { DaysSupply = 20 }, npi: earlierNpi);
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { DaysSupply = 14 } };

        var finding = Guard.Find(Code, check, history);

        Expect.Hit(finding, Code, fires, Severity.Warning, fires ? ["rx-1"] : []);
        if (fires)
        {
            Assert.EndsWith("this one covers 14, and the prescriber's other home-use ketamine prescriptions on record 20.", finding!.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Counts_neither_clinic_doses_nor_refills_beyond_the_legal_five()
    {
        // Three infusions given in the clinic by the prescriber, and 4 days with twelve refills written (at most five can be filled: 24 days).
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-30), Meds.ClinicInfusion)
            .Prescription("rx-2", Fixed.Now.AddDays(-20), Meds.ClinicInfusion)
            .Prescription("rx-3", Fixed.Now.AddDays(-10), Meds.ClinicInfusion);
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { DaysSupply = 4, RefillsAuthorized = 12 } };

        Assert.Null(Guard.Find(Code, check, history));
        Assert.NotNull(Guard.Find(Code, check with { Medication = check.Medication with { DaysSupply = 6 } }, history)); // 36 days
    }

    [Theory]
    [InlineData(2, true)] // the refilled prescription authorised 84 days
    [InlineData(0, false)] // 28 days: the refill adds none of its own
    public void A_refill_is_judged_by_what_its_prescription_authorised(int refills, bool fires)
    {
        var history = new HistoryBuilder()
            .Prescription("rx-1", Fixed.Now.AddDays(-25), Meds.HomeSublingual with { RefillsAuthorized = refills })
            .Dispense("d-0", "rx-1", Fixed.Now.AddDays(-25));

        var finding = Guard.Find(Code, new CheckBuilder { RefillOf = "rx-1" }, history);

        Expect.Hit(finding, Code, fires, Severity.Warning, fires ? ["rx-1"] : []);
        if (fires)
        {
            Assert.EndsWith("the refilled prescription covers 84.", finding!.Detail, StringComparison.Ordinal);
        }
    }
}

public sealed class PrescriberNotAuthorizedInStateRuleTests
{
    private const string Code = "PRESCRIBER_NOT_AUTHORIZED_IN_STATE";

    [Theory]
    [InlineData("NY", "NY,NJ", false)]
    [InlineData("NJ", "NY,NJ", false)]
    [InlineData("CA", "NY,NJ", true)]
    [InlineData("NY", "", true)]
    public void Fires_when_the_patients_state_is_not_among_the_prescribers(string state, string authorized, bool fires)
    {
        var check = new CheckBuilder
        {
            State = state,
            AuthorizedStates = authorized.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(),
        };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }
}
