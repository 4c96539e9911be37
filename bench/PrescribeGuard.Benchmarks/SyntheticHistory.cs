using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Benchmarks;

/// <summary>
/// A deterministic, realistic patient history: prescriptions, fills and encounters spread over
/// 18 months on three platforms, mostly ketamine with some other controlled substances.
/// </summary>
public static class SyntheticHistory
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public const string Caller = "platform-a";

    private static readonly string[] Platforms = [Caller, "platform-b", "platform-c"];
    private static readonly string[] Npis = ["1234567893", "1245319599", "1003000126", "1003000134"];
    private static readonly string[] Pharmacies = ["ncpdp:1234567", "ncpdp:7654321", "npi:1003000142"];

    public static readonly Medication HomeSublingual = new(
        DrugClass.Ketamine, Compounded: true, Route.Sublingual, AdministrationSetting.HomeUse,
        DoseMg: 200, TotalMg: 2400, DaysSupply: 28, RefillsAuthorized: 2);

    public static readonly Medication ClinicInfusion = new(
        DrugClass.Ketamine, Compounded: false, Route.Intravenous, AdministrationSetting.ClinicAdministered,
        DoseMg: 35, TotalMg: 35, DaysSupply: 1, RefillsAuthorized: 0);

    private static readonly Medication Benzodiazepine = new(
        DrugClass.Benzodiazepine, Compounded: false, Route.Oral, AdministrationSetting.HomeUse,
        DoseMg: 1, TotalMg: 30, DaysSupply: 30, RefillsAuthorized: 1);

    /// <summary>About 40% prescriptions, 35% fills of those, 25% encounters.</summary>
    public static PatientHistory Create(int events, int seed = 42)
    {
        var random = new Random(seed);
        var start = Now.AddMonths(-18);
        var span = (Now.AddDays(-1) - start).TotalMinutes;
        var prescriptions = new List<PrescriptionEntry>();
        var dispenses = new List<DispenseEntry>();
        var encounters = new List<EncounterEntry>();
        for (var i = 0; i < events; i++)
        {
            var at = start.AddMinutes(random.NextDouble() * span);
            var platform = Platforms[random.Next(Platforms.Length)];
            var roll = random.Next(100);
            if (roll < 35 && prescriptions.Count > 0)
            {
                var of = prescriptions[random.Next(prescriptions.Count)];
                var fill = dispenses.Count(d => d.PlatformId == of.PlatformId && d.PrescriptionId == of.PrescriptionId);
                dispenses.Add(new DispenseEntry(
                    of.PlatformId, $"d-{i}", of.PrescriptionId, Pharmacies[random.Next(Pharmacies.Length)],
                    of.IssuedAt.AddDays(1 + (fill * of.Medication.DaysSupply)), fill, of.Medication.TotalMg, of.Medication.DaysSupply));
            }
            else if (roll < 75)
            {
                var medication = random.Next(10) switch
                {
                    < 6 => HomeSublingual,
                    < 9 => ClinicInfusion,
                    _ => Benzodiazepine,
                };
                prescriptions.Add(new PrescriptionEntry(platform, $"rx-{i}", Npis[random.Next(Npis.Length)], medication, at, Imported: false));
            }
            else
            {
                var supervised = random.Next(2) == 0;
                encounters.Add(new EncounterEntry(
                    platform,
                    $"enc-{i}",
                    Npis[random.Next(Npis.Length)],
                    supervised ? EncounterKind.SupervisedAdministration : EncounterKind.InPersonEvaluation,
                    at,
                    "NY",
                    supervised ? 90 + random.Next(90) : 0,
                    new BloodPressure(110 + random.Next(40), 70 + random.Next(25), at),
                    supervised ? ClinicInfusion : null));
            }
        }

        return new PatientHistory(
            [.. prescriptions.OrderBy(p => p.IssuedAt)],
            [.. dispenses.Where(d => d.DispensedAt <= Now).OrderBy(d => d.DispensedAt)],
            [.. encounters.OrderBy(e => e.OccurredAt)],
            []);
    }

    public static PrescriptionCheck NewCheck() => new(
        Caller,
        new PatientFacts("NY", new HashSet<RiskFactor>(), new BloodPressure(122, 80, Now.AddDays(-2)), 70),
        new PrescriberFacts(Npis[0], "AB1234563", new HashSet<string>(StringComparer.Ordinal) { "NY", "NJ" }),
        HomeSublingual,
        EncounterMode.TelemedicineAudioVideo,
        Pharmacies[0],
        null,
        Now);

    public static PrescriptionCheck ClinicCheck() =>
        NewCheck() with { Medication = ClinicInfusion, EncounterMode = EncounterMode.InPerson };

    /// <summary>A refill of the caller's most recent prescription, or a new check when there is none.</summary>
    public static PrescriptionCheck RefillCheck(PatientHistory history)
    {
        var target = history.Prescriptions.LastOrDefault(p => p.PlatformId == Caller);
        return NewCheck() with { RefillOfPrescriptionId = target?.PrescriptionId, Medication = target?.Medication ?? HomeSublingual };
    }
}
