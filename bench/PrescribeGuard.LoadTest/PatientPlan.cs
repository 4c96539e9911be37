using System.Globalization;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// One seeded patient, regenerated from its index alone: the seeder writes it and the driver finds
/// the same names and prescription ids again without reading the ledger. Each patient has 0-40
/// prescriptions, fills and encounters over the last 18 months on up to three platforms.
/// </summary>
public sealed class PatientPlan
{
    public static readonly string[] Platforms = ["platform-alpha", "platform-beta", "platform-gamma"];
    public static readonly string[] Npis = ["1234567893", "1245319599"];
    public const string Dea = "AB1234563";
    public static readonly string[] Ncpdp = ["1234567", "7654321", "1111111"];

    public required int Index { get; init; }
    public required string GivenName { get; init; }
    public required string FamilyName { get; init; }
    public required DateOnly BirthDate { get; init; }
    public required IReadOnlyList<PlannedPrescription> Prescriptions { get; init; }
    public required IReadOnlyList<PlannedDispense> Dispenses { get; init; }
    public required IReadOnlyList<PlannedEncounter> Encounters { get; init; }

    public string BirthDateText => BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public string PlatformPatientId(string platform) => $"{platform[9..]}-{Index}";

    public static PatientPlan Create(int index, DateTimeOffset now)
    {
        var random = new Random(index * 7919 + 17);
        var events = random.Next(41);
        var start = now.AddMonths(-18);
        var spanMinutes = (now.AddDays(-2) - start).TotalMinutes;
        var prescriptions = new List<PlannedPrescription>();
        var dispenses = new List<PlannedDispense>();
        var encounters = new List<PlannedEncounter>();
        for (var e = 0; e < events; e++)
        {
            var at = start.AddMinutes(Math.Floor(random.NextDouble() * spanMinutes));
            var platform = Platforms[random.Next(Platforms.Length)];
            var roll = random.Next(100);
            if (roll < 35 && prescriptions.Count > 0)
            {
                var of = prescriptions[random.Next(prescriptions.Count)];
                var fill = dispenses.Count(d => d.Prescription == of);
                var dispensedAt = of.IssuedAt.AddDays(1 + (fill * of.Kind.DaysSupply));
                if (dispensedAt < now.AddDays(-1))
                {
                    dispenses.Add(new PlannedDispense($"fill-{index}-{e}", of, Ncpdp[random.Next(Ncpdp.Length)], dispensedAt, fill));
                }
            }
            else if (roll < 75)
            {
                var kind = random.Next(10) switch
                {
                    < 6 => MedicationKind.HomeSublingual,
                    < 9 => MedicationKind.ClinicInfusion,
                    _ => MedicationKind.Benzodiazepine,
                };
                prescriptions.Add(new PlannedPrescription($"rx-{index}-{e}", platform, Npis[random.Next(Npis.Length)], kind, at));
            }
            else
            {
                var supervised = random.Next(2) == 0;
                encounters.Add(new PlannedEncounter(
                    $"enc-{index}-{e}", platform, Npis[random.Next(Npis.Length)], supervised, at,
                    supervised ? 90 + random.Next(90) : 0, 110 + random.Next(40), 70 + random.Next(25)));
            }
        }

        return new PatientPlan
        {
            Index = index,
            GivenName = "Given" + Letters(index),
            FamilyName = "Family" + Letters(index / 7 + 3),
            BirthDate = new DateOnly(1950, 1, 1).AddDays(index % 18_000),
            Prescriptions = prescriptions,
            Dispenses = dispenses,
            Encounters = encounters,
        };
    }

    /// <summary>A name part from a number: a, b, ... z, ba, bb, ...</summary>
    public static string Letters(int value)
    {
        Span<char> buffer = stackalloc char[8];
        var at = buffer.Length;
        do
        {
            buffer[--at] = (char)('a' + (value % 26));
            value /= 26;
        }
        while (value > 0);
        return new string(buffer[at..]);
    }

    public int EventCount => Prescriptions.Count + Dispenses.Count + Encounters.Count;
}

public sealed record MedicationKind(
    int DrugClass, bool Compounded, int Route, int Setting, double DoseMg, double TotalMg, int DaysSupply, int RefillsAuthorized)
{
    // Domain enum values (0-based): Ketamine 0, Benzodiazepine 4; Sublingual 1, Intravenous 4, Oral 0; HomeUse 0, Clinic 1.
    public static readonly MedicationKind HomeSublingual = new(0, true, 1, 0, 200, 2400, 28, 2);
    public static readonly MedicationKind ClinicInfusion = new(0, false, 4, 1, 35, 35, 1, 0);
    public static readonly MedicationKind Benzodiazepine = new(4, false, 0, 0, 1, 30, 30, 1);
}

public sealed record PlannedPrescription(string Id, string Platform, string PrescriberNpi, MedicationKind Kind, DateTimeOffset IssuedAt);

public sealed record PlannedDispense(string Id, PlannedPrescription Prescription, string Ncpdp, DateTimeOffset DispensedAt, int FillNumber);

public sealed record PlannedEncounter(
    string Id, string Platform, string ClinicianNpi, bool Supervised, DateTimeOffset OccurredAt, int MonitoringMinutes, int Systolic, int Diastolic);
