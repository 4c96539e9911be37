using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class RiskFactorRuleTests
{
    private static readonly CheckBuilder Home = new();
    private static readonly CheckBuilder Clinic = new() { Medication = Meds.ClinicInfusion };

    [Theory]
    [InlineData("SUBSTANCE_USE_DISORDER", RiskFactor.SubstanceUseDisorder, true, Severity.Critical)]
    [InlineData("SUBSTANCE_USE_DISORDER", RiskFactor.SubstanceUseDisorder, false, Severity.Warning)]
    [InlineData("PSYCHOSIS_HISTORY", RiskFactor.PsychosisHistory, true, Severity.Critical)]
    [InlineData("PSYCHOSIS_HISTORY", RiskFactor.PsychosisHistory, false, Severity.Warning)]
    [InlineData("CARDIOVASCULAR_DISEASE", RiskFactor.CardiovascularDisease, true, Severity.Critical)]
    [InlineData("CARDIOVASCULAR_DISEASE", RiskFactor.CardiovascularDisease, false, Severity.Warning)]
    [InlineData("CONTRAINDICATED_CONDITION", RiskFactor.AneurysmalVascularDisease, true, Severity.Critical)]
    [InlineData("CONTRAINDICATED_CONDITION", RiskFactor.ArteriovenousMalformation, false, Severity.Critical)]
    [InlineData("CONTRAINDICATED_CONDITION", RiskFactor.IntracerebralHemorrhage, true, Severity.Critical)]
    [InlineData("PREGNANCY", RiskFactor.PregnantOrBreastfeeding, true, Severity.Critical)]
    [InlineData("PREGNANCY", RiskFactor.PregnantOrBreastfeeding, false, Severity.Critical)]
    public void Fires_for_the_reported_risk_factor_with_home_use_escalation(string code, RiskFactor factor, bool homeUse, Severity severity)
    {
        var check = (homeUse ? Home : Clinic).WithRisk(factor);

        Expect.Fired(Guard.Find(code, check), code, severity);
    }

    [Theory]
    [InlineData("SUBSTANCE_USE_DISORDER")]
    [InlineData("PSYCHOSIS_HISTORY")]
    [InlineData("CARDIOVASCULAR_DISEASE")]
    [InlineData("CONTRAINDICATED_CONDITION")]
    [InlineData("PREGNANCY")]
    public void Does_not_fire_without_its_risk_factor(string code)
    {
        // Every risk factor but the rule's own ones: uncontrolled hypertension is BLOOD_PRESSURE's.
        var unrelated = code switch
        {
            "SUBSTANCE_USE_DISORDER" => RiskFactor.PsychosisHistory,
            "PSYCHOSIS_HISTORY" => RiskFactor.SubstanceUseDisorder,
            "CARDIOVASCULAR_DISEASE" => RiskFactor.UncontrolledHypertension,
            "CONTRAINDICATED_CONDITION" => RiskFactor.CardiovascularDisease,
            _ => RiskFactor.UncontrolledHypertension,
        };

        Assert.Null(Guard.Find(code, Home));
        Assert.Null(Guard.Find(code, Home.WithRisk(unrelated)));
    }

    [Fact]
    public void Contraindicated_condition_names_every_condition_reported()
    {
        var check = Home.WithRisk(RiskFactor.AneurysmalVascularDisease, RiskFactor.IntracerebralHemorrhage);

        var finding = Expect.Fired(Guard.Find("CONTRAINDICATED_CONDITION", check), "CONTRAINDICATED_CONDITION", Severity.Critical);
        Assert.Contains("AneurysmalVascularDisease, IntracerebralHemorrhage", finding.Detail, StringComparison.Ordinal);
    }
}

public sealed class BloodPressureRuleTests
{
    private const string Code = "BLOOD_PRESSURE";

    [Theory]
    [InlineData(120, 80, false)]
    [InlineData(139, 89, false)]
    [InlineData(140, 89, true)]
    [InlineData(139, 90, true)]
    [InlineData(140, 90, true)]
    [InlineData(185, 110, true)]
    public void Fires_at_or_above_140_over_90(int systolic, int diastolic, bool fires)
    {
        var check = new CheckBuilder { BloodPressure = new BloodPressure(systolic, diastolic, Fixed.Now.AddDays(-1)) };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Warning);
    }

    [Theory]
    [InlineData(-1, Fixed.Caller, true, "adm-1")] // the encounter's reading is newer and high
    [InlineData(-1, Fixed.Other, true, null)] // the same on another platform: its id stays hidden
    [InlineData(-3, Fixed.Caller, false, null)] // the platform's newer, normal reading wins
    public void Judges_the_newest_reading_among_the_patients_and_the_encounters(int encounterDaysAgo, string platform, bool fires, string? evidence)
    {
        var history = new HistoryBuilder()
            .Administration("adm-1", Fixed.Now.AddDays(encounterDaysAgo), platform: platform, bloodPressure: new BloodPressure(150, 95, Fixed.Now.AddDays(encounterDaysAgo)));
        var check = new CheckBuilder { BloodPressure = new BloodPressure(120, 80, Fixed.Now.AddDays(-2)) };

        Expect.Hit(Guard.Find(Code, check, history), Code, fires, Severity.Warning, evidence is null ? [] : [evidence]);
    }

    [Fact]
    public void Ignores_a_reading_dated_after_the_evaluation_time()
    {
        var history = new HistoryBuilder()
            .Administration("adm-1", Fixed.Now.AddDays(-1), bloodPressure: new BloodPressure(118, 76, Fixed.Now.AddDays(-1)));
        var check = new CheckBuilder { BloodPressure = new BloodPressure(170, 100, Fixed.Now.AddHours(2)) };

        Assert.Null(Guard.Find(Code, check, history));
    }

    [Fact]
    public void Fires_when_uncontrolled_hypertension_is_reported_despite_a_normal_reading()
    {
        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder().WithRisk(RiskFactor.UncontrolledHypertension)), Code, Severity.Warning);

        Assert.Equal("Uncontrolled hypertension reported", finding.Summary);
    }

    [Theory]
    [InlineData(AdministrationSetting.HomeUse, null, true)] // no reading at all
    [InlineData(AdministrationSetting.HomeUse, 0, false)] // exactly 30 days old
    [InlineData(AdministrationSetting.HomeUse, 1, true)] // 30 days and a minute
    [InlineData(AdministrationSetting.ClinicAdministered, null, false)] // the clinic measures before dosing
    [InlineData(AdministrationSetting.ClinicAdministered, 1, false)]
    public void Home_use_needs_a_reading_from_the_last_30_days(AdministrationSetting setting, int? minutesBeyond30Days, bool fires)
    {
        var reading = minutesBeyond30Days is { } extra ? new BloodPressure(118, 76, Fixed.Now.AddDays(-30).AddMinutes(-extra)) : null;
        var check = new CheckBuilder { BloodPressure = reading, Medication = Meds.HomeSublingual with { Setting = setting } };

        var finding = Guard.Find(Code, check);

        Expect.Hit(finding, Code, fires, Severity.Warning);
        if (fires)
        {
            Assert.Equal("No recent blood pressure reading for home use", finding!.Summary);
        }
    }
}

public sealed class DoseAboveRangeRuleTests
{
    private const string Code = "DOSE_ABOVE_RANGE";

    [Theory]
    [InlineData(Route.Oral, 300, 70, false)]
    [InlineData(Route.Oral, 300.1, 70, true)]
    [InlineData(Route.Sublingual, 300, 70, false)]
    [InlineData(Route.Sublingual, 301, 70, true)]
    [InlineData(Route.Intranasal, 500, 70, false)] // no ceiling for this route in the policy
    [InlineData(Route.Intravenous, 52.5, 70, false)] // exactly 0.75 mg/kg
    [InlineData(Route.Intravenous, 52.6, 70, true)]
    [InlineData(Route.Intravenous, 60, 80, false)]
    [InlineData(Route.Intravenous, 500, 0, false)] // weight unknown
    public void Fires_above_300_mg_by_mouth_or_0_75_mg_per_kg_intravenously(Route route, double doseMg, double weightKg, bool fires)
    {
        var check = new CheckBuilder
        {
            Medication = Meds.ClinicInfusion with { Route = route, DoseMg = doseMg, TotalMg = doseMg },
            WeightKg = weightKg > 0 ? weightKg : null,
        };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Warning);
    }
}
