using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Tests;

public sealed class OutcomeMappingTests
{
    // "C", "W", "I": a finding of that severity; a trailing "*" makes it a shadow finding.
    [Theory]
    [InlineData(Outcome.Allow)]
    [InlineData(Outcome.Allow, "I")]
    [InlineData(Outcome.Review, "W")]
    [InlineData(Outcome.Review, "I", "W", "I")]
    [InlineData(Outcome.Deny, "C")]
    [InlineData(Outcome.Deny, "W", "C", "I")]
    [InlineData(Outcome.Allow, "C*")]
    [InlineData(Outcome.Allow, "C*", "W*")]
    [InlineData(Outcome.Review, "C*", "W")]
    [InlineData(Outcome.Deny, "W*", "C")]
    public void Critical_denies_warning_reviews_and_shadow_findings_do_not_count(Outcome expected, params string[] findings)
    {
        var list = findings.Select(f => new Finding(
            "RULE",
            f[0] switch { 'C' => Severity.Critical, 'W' => Severity.Warning, _ => Severity.Info },
            "summary",
            "detail",
            "source",
            [],
            shadow: f.EndsWith('*')));

        Assert.Equal(expected, OutcomeMapping.From(list));
    }
}

public sealed class EvaluatorTests
{
    /// <summary>A check and history that pass every default rule.</summary>
    private static readonly HistoryBuilder CleanHistory =
        new HistoryBuilder().Administration("adm-1", Fixed.Now.AddDays(-30));

    [Fact]
    public void A_clean_request_is_allowed_with_no_findings()
    {
        var evaluation = Guard.Evaluate(new CheckBuilder(), CleanHistory);

        Assert.Equal(Outcome.Allow, evaluation.Outcome);
        Assert.Empty(evaluation.Findings);
        Assert.Equal(Guard.DefaultPolicy.Version, evaluation.PolicyVersion);
    }

    [Theory]
    [InlineData(EncounterMode.TelemedicineAudioOnly, null, Outcome.Review)] // AUDIO_ONLY_ENCOUNTER: WARNING
    [InlineData(EncounterMode.TelemedicineAudioVideo, RiskFactor.PregnantOrBreastfeeding, Outcome.Deny)] // PREGNANCY: CRITICAL
    [InlineData(EncounterMode.TelemedicineAudioOnly, RiskFactor.PregnantOrBreastfeeding, Outcome.Deny)]
    public void The_outcome_follows_the_findings_severities(EncounterMode mode, RiskFactor? factor, Outcome expected)
    {
        var check = new CheckBuilder { Mode = mode };
        if (factor is { } f)
        {
            check = check.WithRisk(f);
        }

        Assert.Equal(expected, Guard.Evaluate(check, CleanHistory).Outcome);
    }

    [Fact]
    public void A_shadow_rule_is_reported_but_does_not_change_the_outcome()
    {
        var policy = Guard.WithRule("PREGNANCY", s => s with { Shadow = true });

        var evaluation = Guard.Evaluate(new CheckBuilder().WithRisk(RiskFactor.PregnantOrBreastfeeding), CleanHistory, policy);

        Assert.Equal(Outcome.Allow, evaluation.Outcome);
        var finding = Assert.Single(evaluation.Findings);
        Assert.Equal("PREGNANCY", finding.Code);
        Assert.Equal(Severity.Critical, finding.Severity);
        Assert.True(finding.Shadow);
    }

    [Fact]
    public void A_disabled_rule_does_not_run()
    {
        var policy = Guard.WithRule("PREGNANCY", s => s with { Enabled = false });

        var evaluation = Guard.Evaluate(new CheckBuilder().WithRisk(RiskFactor.PregnantOrBreastfeeding), CleanHistory, policy);

        Assert.Equal(Outcome.Allow, evaluation.Outcome);
        Assert.Empty(evaluation.Findings);
    }

    [Theory]
    [InlineData(true, Severity.Critical, Outcome.Deny)]
    [InlineData(false, Severity.Warning, Outcome.Review)]
    public void Home_use_escalates_to_the_home_use_severity(bool homeUse, Severity severity, Outcome outcome)
    {
        var check = new CheckBuilder().WithRisk(RiskFactor.SubstanceUseDisorder);
        if (!homeUse)
        {
            check = check with { Medication = Meds.ClinicInfusion };
        }

        var evaluation = Guard.Evaluate(check, CleanHistory);

        var finding = Assert.Single(evaluation.Findings);
        Expect.Fired(finding, "SUBSTANCE_USE_DISORDER", severity);
        Assert.Equal(outcome, evaluation.Outcome);
    }

    [Fact]
    public void Without_a_home_use_severity_a_home_use_hit_keeps_the_rules_severity()
    {
        var policy = Guard.WithRule("SUBSTANCE_USE_DISORDER", s => s with { HomeUseSeverity = null });

        var finding = Guard.Find("SUBSTANCE_USE_DISORDER", new CheckBuilder().WithRisk(RiskFactor.SubstanceUseDisorder), CleanHistory, policy);

        Expect.Fired(finding, "SUBSTANCE_USE_DISORDER", Severity.Warning);
    }

    [Fact]
    public void Findings_carry_the_policys_source_and_come_in_catalog_order()
    {
        var check = new CheckBuilder { Mode = EncounterMode.TelemedicineAudioOnly }
            .WithRisk(RiskFactor.PregnantOrBreastfeeding, RiskFactor.SubstanceUseDisorder);

        var findings = Guard.Evaluate(check, CleanHistory).Findings;

        Assert.Equal(["AUDIO_ONLY_ENCOUNTER", "SUBSTANCE_USE_DISORDER", "PREGNANCY"], findings.Select(f => f.Code));
        Assert.All(findings, f => Assert.Equal(Guard.DefaultPolicy.Rules[f.Code].Source, f.Source));
    }

    public static TheoryData<string> Scenarios => ["telemedicine", "clinic"];

    /// <summary>Two busy patients between them trip every default rule, on several platforms.</summary>
    internal static (CheckBuilder Check, HistoryBuilder History) Scenario(string name)
    {
        var riskFactors = Enum.GetValues<RiskFactor>();
        if (name == "telemedicine")
        {
            var at = Fixed.Utc("2027-02-01T12:00:00Z");
            var check = new CheckBuilder
            {
                At = at,
                Mode = EncounterMode.TelemedicineAudioOnly,
                State = "CA",
                BloodPressure = null,
                RefillOf = "rx-1",
                Medication = Meds.HomeSublingual with { DrugClass = DrugClass.Esketamine, DoseMg = 400, TotalMg = 4000, DaysSupply = 60 },
            }.WithRisk(riskFactors);
            var history = new HistoryBuilder()
                .Prescription("rx-1", at.AddMonths(-7), Meds.HomeSublingual with { RefillsAuthorized = 0 })
                .Dispense("d-1", "rx-1", at.AddDays(-5))
                .Prescription("rx-2", at.AddDays(-3), platform: Fixed.Other, npi: Fixed.OtherNpi)
                .Prescription("rx-3", at.AddDays(-3), Meds.Other(DrugClass.Opioid), platform: Fixed.Other, npi: "npi-3");
            return (check, history);
        }

        var clinicAt = Fixed.Now;
        var clinicCheck = new CheckBuilder
        {
            Medication = Meds.ClinicInfusion with { DoseMg = 70 },
            BloodPressure = new BloodPressure(150, 95, clinicAt.AddDays(-1)),
        };
        var clinicHistory = new HistoryBuilder()
            .Evaluation("enc-1", clinicAt.AddMonths(-30), npi: Fixed.OtherNpi, platform: Fixed.Other)
            .Administration("adm-1", clinicAt.AddDays(-1), monitoringMinutes: 40)
            .Administration("adm-2", clinicAt.AddDays(-2), platform: Fixed.Other)
            .Administration("adm-3", clinicAt.AddDays(-3));
        for (var i = 1; i <= 5; i++)
        {
            clinicHistory
                .Prescription($"rx-{i}", clinicAt.AddDays(-20 * i), Meds.Other(DrugClass.Stimulant), platform: Fixed.Other, npi: $"npi-{i}")
                .Dispense($"d-{i}", $"rx-{i}", clinicAt.AddDays(-20 * i), pharmacy: $"pharmacy-{i}", platform: Fixed.Other);
        }

        return (clinicCheck, clinicHistory);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Summaries_are_short_and_name_no_other_platform_or_record(string scenario)
    {
        var (check, history) = Scenario(scenario);
        var built = history.Build();
        var otherIds = built.Prescriptions.Where(p => p.PlatformId == Fixed.Other).Select(p => p.PrescriptionId)
            .Concat(built.Dispenses.Where(d => d.PlatformId == Fixed.Other).Select(d => d.DispenseId))
            .Concat(built.Encounters.Where(e => e.PlatformId == Fixed.Other).Select(e => e.EncounterId))
            .ToArray();

        var findings = Guard.Evaluate(check, history).Findings;

        Assert.NotEmpty(findings);
        Assert.All(findings, f =>
        {
            Assert.InRange(f.Summary.Length, 1, 139);
            Assert.NotEmpty(f.Detail);
            Assert.DoesNotContain(Fixed.Other, f.Summary + f.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(Fixed.OtherNpi, f.Summary + f.Detail, StringComparison.Ordinal);
            Assert.All(otherIds, id => Assert.DoesNotContain(id, f.EvidenceIds));
        });
    }

    [Fact]
    public void Every_default_rule_can_fire()
    {
        string[] scenarios = ["telemedicine", "clinic"];
        var fired = scenarios
            .Select(Scenario)
            .SelectMany(s => Guard.Evaluate(s.Check, s.History).Findings)
            .Select(f => f.Code)
            .ToHashSet();

        Assert.Equal(Guard.Catalog.Rules.Select(r => r.Code).Order(), fired.Order());
    }
}
