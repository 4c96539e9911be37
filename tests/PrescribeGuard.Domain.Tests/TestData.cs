using System.Globalization;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Tests;

/// <summary>The fixed clock and the names every test shares.</summary>
internal static class Fixed
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The platform asking; only its own record ids may come back in findings.</summary>
    public const string Caller = "platform-caller";

    /// <summary>Another platform treating the same person.</summary>
    public const string Other = "platform-other";

    public const string PrescriberNpi = "1234567893";
    public const string PrescriberDea = "AB1234563";
    public const string OtherNpi = "1245319599";
    public const string Pharmacy = "pharmacy-caller";

    public static DateTimeOffset Utc(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}

internal static class Meds
{
    /// <summary>Compounded sublingual ketamine at home: 200 mg doses, 12 in 28 days (3 a week), 2400 mg.</summary>
    public static readonly Medication HomeSublingual = new(
        DrugClass.Ketamine, Compounded: true, Route.Sublingual, AdministrationSetting.HomeUse,
        DoseMg: 200, TotalMg: 2400, DaysSupply: 28, RefillsAuthorized: 0);

    /// <summary>A single 0.5 mg/kg infusion for a 70 kg patient, in a clinic.</summary>
    public static readonly Medication ClinicInfusion = new(
        DrugClass.Ketamine, Compounded: false, Route.Intravenous, AdministrationSetting.ClinicAdministered,
        DoseMg: 35, TotalMg: 35, DaysSupply: 1, RefillsAuthorized: 0);

    /// <summary>A month of some other controlled substance taken at home.</summary>
    public static Medication Other(DrugClass drugClass, int daysSupply = 30) => new(
        drugClass, Compounded: false, Route.Oral, AdministrationSetting.HomeUse,
        DoseMg: 10, TotalMg: 300, DaysSupply: daysSupply, RefillsAuthorized: 0);
}

/// <summary>A check that passes every rule by itself; tests change only what they are about.</summary>
internal sealed record CheckBuilder
{
    public string PlatformId { get; init; } = Fixed.Caller;
    public string State { get; init; } = "NY";

    /// <summary>UTC unless a test is about the patient's calendar (the server gives the state's zone).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
    public IReadOnlySet<RiskFactor> RiskFactors { get; init; } = new HashSet<RiskFactor>();
    public BloodPressure? BloodPressure { get; init; } = new(120, 80, Fixed.Now.AddDays(-1));
    public double? WeightKg { get; init; } = 70;
    public string Npi { get; init; } = Fixed.PrescriberNpi;
    public IReadOnlySet<string> AuthorizedStates { get; init; } = new HashSet<string> { "NY", "NJ" };
    public Medication Medication { get; init; } = Meds.HomeSublingual;
    public EncounterMode Mode { get; init; } = EncounterMode.TelemedicineAudioVideo;
    public string? PharmacyId { get; init; } = Fixed.Pharmacy;
    public string? RefillOf { get; init; }
    public DateTimeOffset At { get; init; } = Fixed.Now;

    public CheckBuilder WithRisk(params RiskFactor[] factors) => this with { RiskFactors = factors.ToHashSet() };

    public PrescriptionCheck Build() => new(
        PlatformId,
        new PatientFacts(State, RiskFactors, BloodPressure, WeightKg) { TimeZone = TimeZone },
        new PrescriberFacts(Npi, Fixed.PrescriberDea, AuthorizedStates),
        Medication,
        Mode,
        PharmacyId,
        RefillOf,
        At);
}

/// <summary>Builds a patient's history; every record defaults to the calling platform.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<PrescriptionEntry> _prescriptions = [];
    private readonly List<DispenseEntry> _dispenses = [];
    private readonly List<EncounterEntry> _encounters = [];
    private readonly List<ReservationEntry> _reservations = [];

    public HistoryBuilder Prescription(
        string id,
        DateTimeOffset issuedAt,
        Medication? medication = null,
        string platform = Fixed.Caller,
        string npi = Fixed.PrescriberNpi)
    {
        _prescriptions.Add(new PrescriptionEntry(platform, id, npi, medication ?? Meds.HomeSublingual, issuedAt, Imported: false));
        return this;
    }

    public HistoryBuilder Dispense(
        string id,
        string prescriptionId,
        DateTimeOffset dispensedAt,
        double totalMg = 2400,
        int fillNumber = 0,
        int daysSupply = 28,
        string pharmacy = Fixed.Pharmacy,
        string platform = Fixed.Caller)
    {
        _dispenses.Add(new DispenseEntry(platform, id, prescriptionId, pharmacy, dispensedAt, fillNumber, totalMg, daysSupply));
        return this;
    }

    public HistoryBuilder Evaluation(
        string id,
        DateTimeOffset at,
        string npi = Fixed.PrescriberNpi,
        string platform = Fixed.Caller,
        BloodPressure? bloodPressure = null)
    {
        _encounters.Add(new EncounterEntry(platform, id, npi, EncounterKind.InPersonEvaluation, at, "NY", 0, bloodPressure, null));
        return this;
    }

    public HistoryBuilder Administration(
        string id,
        DateTimeOffset at,
        int monitoringMinutes = 120,
        string platform = Fixed.Caller,
        BloodPressure? bloodPressure = null,
        Medication? medication = null)
    {
        _encounters.Add(new EncounterEntry(
            platform, id, Fixed.PrescriberNpi, EncounterKind.SupervisedAdministration, at, "NY", monitoringMinutes, bloodPressure, medication ?? Meds.ClinicInfusion));
        return this;
    }

    public HistoryBuilder Reservation(
        string decisionId,
        Medication medication,
        DateTimeOffset? createdAt = null,
        TimeSpan? ttl = null,
        string platform = Fixed.Caller)
    {
        var created = createdAt ?? Fixed.Now.AddMinutes(-5);
        _reservations.Add(new ReservationEntry(platform, decisionId, Fixed.OtherNpi, medication, created, created + (ttl ?? TimeSpan.FromMinutes(15))));
        return this;
    }

    public PatientHistory Build() => new(_prescriptions.ToArray(), _dispenses.ToArray(), _encounters.ToArray(), _reservations.ToArray());
}

/// <summary>Runs the real evaluator with the default rules and policy/default.json.</summary>
internal static class Guard
{
    public static readonly RuleCatalog Catalog = DefaultRules.Create();

    public static readonly string DefaultPolicyJson =
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policy", "default.json"));

    public static readonly GuardPolicy DefaultPolicy = PolicyParser.Parse(DefaultPolicyJson, Catalog);

    public static Evaluation.Evaluation Evaluate(CheckBuilder check, HistoryBuilder? history = null, GuardPolicy? policy = null) =>
        new PrescriptionEvaluator(Catalog).Evaluate(check.Build(), history?.Build() ?? PatientHistory.Empty, policy ?? DefaultPolicy);

    public static Finding? Find(string code, CheckBuilder check, HistoryBuilder? history = null, GuardPolicy? policy = null) =>
        Evaluate(check, history, policy).Findings.SingleOrDefault(f => f.Code == code);

    public static GuardPolicy WithRule(string code, Func<RuleSettings, RuleSettings> change, GuardPolicy? basis = null)
    {
        var policy = basis ?? DefaultPolicy;
        var rules = new Dictionary<string, RuleSettings>(policy.Rules, StringComparer.Ordinal);
        rules[code] = change(rules[code]);
        return policy with { Rules = rules };
    }

    public static GuardPolicy WithParameter(string code, string name, double value) =>
        WithRule(code, s => s with { Parameters = new Dictionary<string, double>(s.Parameters) { [name] = value } });
}

internal static class Expect
{
    /// <summary>Asserts that the rule fired with this severity and exactly these caller evidence ids, or did not fire.</summary>
    public static void Hit(Finding? finding, string code, bool fires, Severity severity, params string[] evidence)
    {
        if (!fires)
        {
            Assert.Null(finding);
            return;
        }

        Fired(finding, code, severity, evidence);
    }

    public static Finding Fired(Finding? finding, string code, Severity severity, params string[] evidence)
    {
        Assert.NotNull(finding);
        Assert.Equal(code, finding.Code);
        Assert.Equal(severity, finding.Severity);
        Assert.Equal(evidence.Order(StringComparer.Ordinal), finding.EvidenceIds.Order(StringComparer.Ordinal));
        Assert.False(finding.Shadow);
        return finding;
    }
}
