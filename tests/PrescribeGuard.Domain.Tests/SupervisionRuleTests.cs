using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class ClinicOnlyProductRuleTests
{
    private const string Code = "CLINIC_ONLY_PRODUCT";

    [Theory]
    [InlineData(DrugClass.Esketamine, Route.Intranasal, AdministrationSetting.HomeUse, true)]
    [InlineData(DrugClass.Ketamine, Route.Intravenous, AdministrationSetting.HomeUse, true)]
    [InlineData(DrugClass.Ketamine, Route.Intramuscular, AdministrationSetting.HomeUse, true)]
    [InlineData(DrugClass.Ketamine, Route.Sublingual, AdministrationSetting.HomeUse, false)]
    [InlineData(DrugClass.Ketamine, Route.Intranasal, AdministrationSetting.HomeUse, false)]
    [InlineData(DrugClass.Ketamine, Route.Intravenous, AdministrationSetting.ClinicAdministered, false)]
    [InlineData(DrugClass.Esketamine, Route.Intranasal, AdministrationSetting.ClinicAdministered, false)]
    public void Fires_for_clinic_only_products_at_home(DrugClass drugClass, Route route, AdministrationSetting setting, bool fires)
    {
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { DrugClass = drugClass, Route = route, Setting = setting } };

        Expect.Hit(Guard.Find(Code, check), Code, fires, Severity.Critical);
    }
}

public sealed class SupervisedFirstDoseRequiredRuleTests
{
    private const string Code = "SUPERVISED_FIRST_DOSE_REQUIRED";

    /// <summary>A clinic's observed dose of something else: it shows nothing of how ketamine is taken.</summary>
    internal static readonly Medication ObservedBenzodiazepine = Meds.ClinicInfusion with { DrugClass = DrugClass.Benzodiazepine, Route = Route.Oral, DoseMg = 2, TotalMg = 2 };

    public static TheoryData<string, AdministrationSetting, bool> Cases => new()
    {
        { "none", AdministrationSetting.HomeUse, true },
        { "administration on another platform", AdministrationSetting.HomeUse, false },
        { "administration on this platform", AdministrationSetting.HomeUse, false },
        { "evaluation only", AdministrationSetting.HomeUse, true },
        { "administration of another drug", AdministrationSetting.HomeUse, true },
        { "administration of esketamine", AdministrationSetting.HomeUse, false },
        { "administration after the evaluation time", AdministrationSetting.HomeUse, true },
        { "none", AdministrationSetting.ClinicAdministered, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fires_for_home_use_without_a_supervised_administration(string history, AdministrationSetting setting, bool fires)
    {
        var builder = new HistoryBuilder();
        _ = history switch
        {
            "administration on another platform" => builder.Administration("adm-1", Fixed.Now.AddMonths(-3), platform: Fixed.Other),
            "administration on this platform" => builder.Administration("adm-1", Fixed.Now.AddDays(-3)),
            "evaluation only" => builder.Evaluation("enc-1", Fixed.Now.AddDays(-3)),
            "administration of another drug" => builder.Administration("adm-1", Fixed.Now.AddDays(-3), medication: ObservedBenzodiazepine),
            "administration of esketamine" => builder.Administration(
                "adm-1", Fixed.Now.AddDays(-3), medication: Meds.ClinicInfusion with { DrugClass = DrugClass.Esketamine, Route = Route.Intranasal, DoseMg = 56 }),
            "administration after the evaluation time" => builder.Administration("adm-1", Fixed.Now.AddHours(1)),
            _ => builder,
        };
        var check = new CheckBuilder { Medication = Meds.HomeSublingual with { Setting = setting } };

        Expect.Hit(Guard.Find(Code, check, builder), Code, fires, Severity.Warning);
    }
}

public sealed class MonitoringTooShortRuleTests
{
    private const string Code = "MONITORING_TOO_SHORT";

    [Theory]
    [InlineData(119, 10, 0, true)]
    [InlineData(120, 10, 0, false)]
    [InlineData(30, 90, 0, true)] // exactly at the start of the 90-day lookback
    [InlineData(30, 90, 1, false)] // a minute before it
    public void Fires_for_a_recent_administration_monitored_under_120_minutes(int minutes, int daysAgo, int extraMinutes, bool fires)
    {
        var history = new HistoryBuilder()
            .Administration("adm-1", Fixed.Now.AddDays(-daysAgo).AddMinutes(-extraMinutes), monitoringMinutes: minutes);

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires, Severity.Warning, "adm-1");
    }

    [Fact]
    public void Cites_only_the_callers_short_administrations()
    {
        var history = new HistoryBuilder()
            .Administration("adm-short", Fixed.Now.AddDays(-5), monitoringMinutes: 45)
            .Administration("adm-long", Fixed.Now.AddDays(-4), monitoringMinutes: 150)
            .Administration("adm-theirs", Fixed.Now.AddDays(-3), monitoringMinutes: 60, platform: Fixed.Other);

        var finding = Expect.Fired(Guard.Find(Code, new CheckBuilder(), history), Code, Severity.Warning, "adm-short");
        Assert.Contains("2 supervised administration(s)", finding.Detail, StringComparison.Ordinal);
        Assert.Contains("shortest 45 minutes", finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_observation_of_another_drug_is_not_a_ketamine_administration()
    {
        var history = new HistoryBuilder()
            .Administration("adm-benzo", Fixed.Now.AddDays(-5), monitoringMinutes: 30, medication: SupervisedFirstDoseRequiredRuleTests.ObservedBenzodiazepine);

        Expect.Hit(Guard.Find(Code, new CheckBuilder(), history), Code, fires: false, Severity.Warning);
    }
}
