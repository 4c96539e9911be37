using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Tests;

/// <summary>
/// Findings format their text when first read (RuleHit.Deferred). The pinned texts below were
/// produced by the evaluator before that change, which formatted every text eagerly: the reply a
/// platform receives must not change by a character.
/// </summary>
public sealed class FindingTextTests
{
    private const string Telemedicine =
        """
        == telemedicine Deny
        REFILL_AFTER_SIX_MONTHS|Critical|rx-1
        Prescription was issued more than 6 months ago and can no longer be refilled
        The prescription was issued on 2026-07-01; fills and refills are allowed only until 2027-01-01, 6 months later.
        REFILL_LIMIT_EXCEEDED|Critical|rx-1,d-1
        Refill limit of the prescription is exhausted
        This would be refill 1 where 0 are allowed (0 authorised, policy limit 5); and 2400 mg already dispensed plus 4000 mg requested exceeds the 2400 mg prescribed including refills.
        REFILL_TOO_EARLY|Warning|rx-1,d-1
        Refill requested 23 days before the previous supply runs out
        The last fill's 28-day supply lasts until 2027-02-24 12:00Z, 23 days from now; refills are allowed at most 7 days early.
        IN_PERSON_EVALUATION_REQUIRED|Critical|
        Telemedicine prescribing needs a prior in-person evaluation
        The telemedicine flexibilities ended after 2026-12-31; no in-person evaluation by the prescriber, nor by another clinician in the last 24 months, is on record.
        AUDIO_ONLY_ENCOUNTER|Warning|
        Prescribing encounter was audio-only
        Audio-only telemedicine qualifies only for a mental health condition when the patient cannot use video; the prescriber should attest to that.
        TELEMEDICINE_SUPPLY_LIMIT|Warning|rx-1
        60-day supply by telemedicine before any in-person evaluation
        With no in-person evaluation on record, a prescriber's telemedicine prescriptions should cover at most 30 days in all, refills included; the refilled prescription covers 60.
        PRESCRIBER_NOT_AUTHORIZED_IN_STATE|Critical|
        Prescriber is not authorized in the state where the patient is located
        The patient is located in CA; the prescriber reports a licence and registration for NJ, NY.
        CLINIC_ONLY_PRODUCT|Critical|
        Esketamine is never dispensed for home use
        Esketamine (Spravato) is self-administered only under direct observation in a certified healthcare setting.
        SUPERVISED_FIRST_DOSE_REQUIRED|Warning|
        Home-use regimen with no supervised administration on record
        No supervised, monitored administration of the patient is on record on any platform; a first dose under observation is expected before home use.
        DUPLICATE_ACTIVE_KETAMINE|Critical|
        Another ketamine prescription is active or pending for this patient
        1 active ketamine prescription(s) and 0 pending reservation(s) on 1 platform(s) overlap this request. The latest was issued 3 day(s) ago; supply lasts until 2027-02-26.
        MULTIPLE_PROVIDERS|Warning|d-1
        2 other prescribers and 1 pharmacies within 90 days
        In the last 90 days, counting this request, the patient saw 2 other prescriber(s) (signal at 2) and 1 pharmacy(ies) (signal at 3).
        CONCURRENT_CNS_DEPRESSANT|Warning|
        Active CNS depressant prescription: Opioid
        1 active prescription(s) of Opioid on record; combined with ketamine they deepen sedation and depress breathing.
        SUBSTANCE_USE_DISORDER|Critical|
        Substance use disorder history reported
        A history of substance use disorder is reported and the ketamine would be used at home, without observation.
        CONTRAINDICATED_CONDITION|Critical|
        Contraindicated condition reported
        Ketamine is contraindicated with AneurysmalVascularDisease, ArteriovenousMalformation, IntracerebralHemorrhage, reported for this patient.
        PSYCHOSIS_HISTORY|Critical|
        Psychotic disorder history reported
        A psychotic disorder is reported and the ketamine would be used at home, where dissociation goes unobserved.
        CARDIOVASCULAR_DISEASE|Critical|
        Cardiovascular or cerebrovascular disease reported
        Cardiovascular or cerebrovascular disease is reported and the ketamine would be used at home, without blood pressure monitoring by a clinician.
        PREGNANCY|Critical|
        Pregnant or breastfeeding reported
        The patient is reported pregnant or breastfeeding; ketamine is not recommended in pregnancy or lactation.
        BLOOD_PRESSURE|Warning|
        Uncontrolled hypertension reported
        Uncontrolled hypertension is reported. No reading from the last 30 days is on record for home use.
        DOSE_ABOVE_RANGE|Warning|
        Sublingual dose of 400 mg is above 300 mg
        A single sublingual dose of 400 mg exceeds the published range, which tops out at 300 mg.
        CUMULATIVE_DOSE|Critical|rx-1,d-1
        8800 mg of home-use ketamine within 30 days, above 3600 mg
        Ketamine dispensed, prescribed or pending for home use in the last 30 days, with this request's 4000 mg, totals 8800 mg; the ceiling is 3600 mg.
        """;

    private const string Clinic =
        """
        == clinic Deny
        IN_PERSON_EVALUATION_STALE|Warning|
        Latest in-person evaluation is older than 24 months
        The most recent in-person evaluation on record was 913 days ago; one within 24 months is expected for telemedicine prescribing.
        MONITORING_TOO_SHORT|Warning|adm-1
        Supervised administration monitored for less than 120 minutes
        1 supervised administration(s) in the last 90 days were monitored for less than 120 minutes (shortest 40 minutes).
        MULTIPLE_PROVIDER_EPISODE|Critical|
        5 prescribers and 5 pharmacies within 90 days
        Counting this request, 5 prescribers and 5 pharmacies of controlled substances in the last 90 days reach the multiple-provider threshold of 5 and 5.
        MULTIPLE_PROVIDERS|Warning|
        4 other prescribers and 5 pharmacies within 90 days
        In the last 90 days, counting this request, the patient saw 4 other prescriber(s) (signal at 2) and 5 pharmacy(ies) (signal at 3).
        BLOOD_PRESSURE|Warning|
        Latest blood pressure is at or above 140/90 mmHg
        The latest reading, 150/95 mmHg, is at or above 140/90.
        DOSE_ABOVE_RANGE|Warning|
        IV dose of 1 mg/kg is above 0.75 mg/kg
        An intravenous dose of 70 mg at 70 kg is 1 mg/kg, above the usual ceiling of 0.75 mg/kg.
        SESSION_FREQUENCY|Warning|adm-1,adm-3
        4 administrations within 7 days, above 3
        3 supervised administration(s) in the last 7 days plus this one make 4; at most 3 are expected.
        """;

    public static TheoryData<string, string> Pinned => new() { { "telemedicine", Telemedicine }, { "clinic", Clinic } };

    [Theory]
    [MemberData(nameof(Pinned))]
    public void Every_default_rules_text_is_exactly_as_before(string scenario, string expected)
    {
        var (check, history) = EvaluatorTests.Scenario(scenario);

        var evaluation = Guard.Evaluate(check, history);

        var lines = new List<string> { $"== {scenario} {evaluation.Outcome}" };
        foreach (var f in evaluation.Findings)
        {
            lines.Add($"{f.Code}|{f.Severity}|{string.Join(",", f.EvidenceIds)}");
            lines.Add(f.Summary);
            lines.Add(f.Detail);
        }

        Assert.Equal(expected.ReplaceLineEndings("\n"), string.Join("\n", lines));
    }

    [Fact]
    public void Text_is_formatted_only_when_read()
    {
        var evaluator = new PrescriptionEvaluator(new RuleCatalog([new UnreadableTextRule()]));
        var policy = Guard.DefaultPolicy with
        {
            Rules = new Dictionary<string, RuleSettings>
            {
                [UnreadableTextRule.RuleCode] = new(UnreadableTextRule.RuleCode, true, Severity.Warning, null, false, "test", new Dictionary<string, double>()),
            },
        };

        var evaluation = evaluator.Evaluate(new CheckBuilder().Build(), PatientHistory.Empty, policy);

        var finding = Assert.Single(evaluation.Findings);
        Assert.Equal(Outcome.Review, evaluation.Outcome);
        Assert.Equal(UnreadableTextRule.RuleCode, finding.Code);
        Assert.Throws<InvalidOperationException>(() => finding.Summary);
    }

    [Fact]
    public void Text_is_formatted_once_and_kept_even_when_read_concurrently()
    {
        var (check, history) = EvaluatorTests.Scenario("clinic");
        var finding = Guard.Evaluate(check, history).Findings[0];

        var details = new string[64];
        Parallel.For(0, details.Length, i => details[i] = finding.Detail);

        Assert.All(details, d => Assert.Equal(details[0], d));
        Assert.Same(finding.Detail, finding.Detail);
        Assert.Same(finding.Summary, finding.Summary);
    }

    [Fact]
    public void A_finding_made_with_text_returns_it()
    {
        var finding = new Finding("CODE", Severity.Info, "summary", "detail", "source", ["id"], shadow: true);

        Assert.Equal(("summary", "detail", "source", true), (finding.Summary, finding.Detail, finding.Source, finding.Shadow));
        Assert.Equal(["id"], finding.EvidenceIds);
    }

    /// <summary>Fires on every check with a text that cannot be formatted.</summary>
    private sealed class UnreadableTextRule : IRule
    {
        public const string RuleCode = "UNREADABLE_TEXT";

        public string Code => RuleCode;

        public IReadOnlyList<RuleParameter> Parameters { get; } = [];

        public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
            RuleHit.Deferred(0, static _ => throw new InvalidOperationException("formatted"), static _ => "detail");
    }
}
