using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PrescribeGuard.V1;

namespace PrescribeGuard.LoadTest;

public enum CheckKind { RepeatPatient, Refill, NewPatient }

/// <summary>
/// Builds the checks of the mix: a seeded patient asking for a new prescription, a refill of one of
/// a seeded patient's ketamine prescriptions (asked by the platform that issued it), and a patient
/// the guard has never seen. Most are dry runs; a share reserves, as a real check would.
/// </summary>
public sealed class Requests(int seededPatients, DateTimeOffset seededAt, double reservingShare, bool randomRequestIds = false)
{
    private static readonly Metadata[] PlatformHeaders =
        [.. PatientPlan.Platforms.Select(p => new Metadata { { "x-platform-id", p } })];

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    // What a check needs of a seeded patient, kept once built: regenerating the whole plan (up to 40
    // events from a new Random) for every check cost the generator ≈3 % of the machine's CPU, taken
    // from the guard it shares the cores with. Filled as patients are drawn; a race builds the same
    // value twice, harmlessly.
    private readonly SeededPatient?[] _seeded = new SeededPatient?[seededPatients];
    private long _sequence;
    private int _newPatients;

    /// <summary>Share of each kind, in percent: repeat 50, refill 30, new 20.</summary>
    public static CheckKind PickKind(Random random) => random.Next(100) switch
    {
        < 50 => CheckKind.RepeatPatient,
        < 80 => CheckKind.Refill,
        _ => CheckKind.NewPatient,
    };

    public (CheckPrescriptionRequest Request, Metadata Headers, CheckKind Kind) Next(Random random)
    {
        var kind = seededPatients == 0 ? CheckKind.NewPatient : PickKind(random);
        var dryRun = random.NextDouble() >= reservingShare;
        var requestId = randomRequestIds ? Guid.NewGuid().ToString() : $"bench-{RunId}-{Interlocked.Increment(ref _sequence)}";
        switch (kind)
        {
            case CheckKind.Refill:
                for (var attempt = 0; attempt < 20; attempt++)
                {
                    var (plan, target) = Seeded(random.Next(seededPatients));
                    if (target is null)
                    {
                        continue;
                    }

                    var refill = Check(requestId, plan, target.Platform, target.Kind, dryRun: true);
                    refill.RefillOfPrescriptionId = target.Id;
                    refill.Prescriber.Npi = target.PrescriberNpi;
                    return (refill, Headers(target.Platform), kind);
                }

                goto case CheckKind.RepeatPatient;

            case CheckKind.RepeatPatient:
                {
                    var plan = Seeded(random.Next(seededPatients)).Identity;
                    var platform = PatientPlan.Platforms[random.Next(PatientPlan.Platforms.Length)];
                    var medication = random.Next(2) == 0 ? MedicationKind.HomeSublingual : MedicationKind.ClinicInfusion;
                    return (Check(requestId, plan, platform, medication, dryRun), Headers(platform), CheckKind.RepeatPatient);
                }

            default:
                {
                    // Indices past the seeded ones are people the guard has never seen.
                    var index = seededPatients + Interlocked.Increment(ref _newPatients);
                    var plan = new PatientPlan
                    {
                        Index = index,
                        GivenName = "New" + PatientPlan.Letters(index),
                        FamilyName = "Person" + RunId,
                        BirthDate = new DateOnly(1960, 1, 1).AddDays(index % 15_000),
                        Prescriptions = [],
                        Dispenses = [],
                        Encounters = [],
                    };
                    var platform = PatientPlan.Platforms[random.Next(PatientPlan.Platforms.Length)];
                    return (Check(requestId, plan, platform, MedicationKind.ClinicInfusion, dryRun), Headers(platform), CheckKind.NewPatient);
                }
        }
    }

    private SeededPatient Seeded(int index)
    {
        if (_seeded[index] is { } known)
        {
            return known;
        }

        var plan = PatientPlan.Create(index, seededAt);
        var identity = new PatientPlan
        {
            Index = plan.Index,
            GivenName = plan.GivenName,
            FamilyName = plan.FamilyName,
            BirthDate = plan.BirthDate,
            Prescriptions = [],
            Dispenses = [],
            Encounters = [],
        };
        var seeded = new SeededPatient(identity, plan.Prescriptions.LastOrDefault(p => p.Kind.DrugClass == 0));
        _seeded[index] = seeded;
        return seeded;
    }

    /// <summary>A seeded patient's identity (no events) and latest ketamine prescription, if any.</summary>
    private sealed record SeededPatient(PatientPlan Identity, PlannedPrescription? LatestKetamine);

    public static Metadata Headers(string platform) => PlatformHeaders[Array.IndexOf(PatientPlan.Platforms, platform)];

    public static Patient Patient(PatientPlan plan, string platform) => new()
    {
        PlatformPatientId = plan.PlatformPatientId(platform),
        GivenName = plan.GivenName,
        FamilyName = plan.FamilyName,
        BirthDate = plan.BirthDateText,
        LocationState = "NY",
        WeightKg = 70,
        LatestBloodPressure = new BloodPressure
        {
            Systolic = 122,
            Diastolic = 80,
            MeasuredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
        },
    };

    public static Prescriber Prescriber(string npi) => new()
    {
        Npi = npi,
        DeaNumber = PatientPlan.Dea,
        AuthorizedStates = { "NY", "NJ" },
    };

    public static Medication Medication(MedicationKind kind) => new()
    {
        DrugClass = (DrugClass)(kind.DrugClass + 1),
        Compounded = kind.Compounded,
        Route = (Route)(kind.Route + 1),
        Setting = (Setting)(kind.Setting + 1),
        DoseMg = kind.DoseMg,
        TotalMg = kind.TotalMg,
        DaysSupply = kind.DaysSupply,
        RefillsAuthorized = kind.RefillsAuthorized,
    };

    private static CheckPrescriptionRequest Check(string requestId, PatientPlan plan, string platform, MedicationKind medication, bool dryRun) => new()
    {
        RequestId = requestId,
        Patient = Patient(plan, platform),
        Prescriber = Prescriber(PatientPlan.Npis[0]),
        Medication = Medication(medication),
        EncounterMode = medication.Setting == 1 ? EncounterMode.InPerson : EncounterMode.TelemedicineAudioVideo,
        Pharmacy = new Pharmacy { NcpdpId = PatientPlan.Ncpdp[0] },
        DryRun = dryRun,
    };
}
