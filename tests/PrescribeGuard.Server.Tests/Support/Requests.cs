using Google.Protobuf.WellKnownTypes;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests.Support;

/// <summary>Valid requests to start from; tests change what they are about.</summary>
public static class Requests
{
    public const string PrescriberNpi = "1234567893";
    public const string OtherPrescriberNpi = "1245319599";
    public const string PrescriberDea = "AB1234563";

    public static Patient Patient(string platformPatientId = "pt-1", string given = "Maria", string family = "Gonzalez", string birthDate = "1985-04-12") => new()
    {
        PlatformPatientId = platformPatientId,
        GivenName = given,
        FamilyName = family,
        BirthDate = birthDate,
        LocationState = "NY",
        WeightKg = 70,
    };

    public static Prescriber Prescriber(string npi = PrescriberNpi) => new()
    {
        Npi = npi,
        DeaNumber = PrescriberDea,
        AuthorizedStates = { "NY", "NJ" },
    };

    /// <summary>IV ketamine given in a clinic after an in-person visit: nothing for the rules to find.</summary>
    public static Medication ClinicInfusion() => new()
    {
        DrugClass = DrugClass.Ketamine,
        Route = Route.Intravenous,
        Setting = Setting.ClinicAdministered,
        DoseMg = 35,
        TotalMg = 35,
        DaysSupply = 1,
        RefillsAuthorized = 0,
    };

    /// <summary>Compounded sublingual troches for home use: 200 mg a session, 3 a week for 30 days.</summary>
    public static Medication HomeTroches() => new()
    {
        DrugClass = DrugClass.Ketamine,
        Compounded = true,
        Route = Route.Sublingual,
        Setting = Setting.HomeUse,
        DoseMg = 200,
        TotalMg = 2400,
        DaysSupply = 30,
        RefillsAuthorized = 2,
    };

    public static CheckPrescriptionRequest CleanCheck(DateTimeOffset now, string requestId = "req-1", Patient? patient = null)
    {
        var p = patient ?? Patient();
        p.LatestBloodPressure = new BloodPressure { Systolic = 120, Diastolic = 78, MeasuredAt = Timestamp.FromDateTimeOffset(now.AddDays(-1)) };
        return new CheckPrescriptionRequest
        {
            RequestId = requestId,
            Patient = p,
            Prescriber = Prescriber(),
            Medication = ClinicInfusion(),
            EncounterMode = EncounterMode.InPerson,
        };
    }

    public static RecordPrescriptionRequest RecordFor(CheckPrescriptionRequest check, Decision decision, string prescriptionId, DateTimeOffset issuedAt) => new()
    {
        PrescriptionId = prescriptionId,
        DecisionId = decision.DecisionId,
        Patient = check.Patient.Clone(),
        Prescriber = check.Prescriber.Clone(),
        Medication = check.Medication.Clone(),
        IssuedAt = Timestamp.FromDateTimeOffset(issuedAt),
    };

    public static RecordDispenseRequest Dispense(Patient patient, string prescriptionId, string dispenseId, DateTimeOffset at, double totalMg, int daysSupply, int fillNumber = 0) => new()
    {
        DispenseId = dispenseId,
        PrescriptionId = prescriptionId,
        Patient = patient.Clone(),
        Pharmacy = new Pharmacy { NcpdpId = "1234567" },
        DispensedAt = Timestamp.FromDateTimeOffset(at),
        FillNumber = fillNumber,
        TotalMg = totalMg,
        DaysSupply = daysSupply,
    };

    /// <summary>An in-person evaluation by <see cref="Prescriber"/>: telemedicine checks then stand whether or not the flexibilities have ended.</summary>
    public static RecordEncounterRequest InPersonEvaluation(Patient patient, string encounterId, DateTimeOffset at) =>
        Encounter(patient, encounterId, EncounterKind.InPersonEvaluation, at);

    public static RecordEncounterRequest SupervisedDose(Patient patient, string encounterId, DateTimeOffset at, int monitoringMinutes = 150)
    {
        var dose = Encounter(patient, encounterId, EncounterKind.SupervisedAdministration, at);
        dose.MonitoringMinutes = monitoringMinutes;
        dose.BloodPressure = new BloodPressure { Systolic = 124, Diastolic = 80, MeasuredAt = Timestamp.FromDateTimeOffset(at) };
        dose.Medication = HomeTroches();
        return dose;
    }

    private static RecordEncounterRequest Encounter(Patient patient, string encounterId, EncounterKind kind, DateTimeOffset at) => new()
    {
        EncounterId = encounterId,
        Patient = patient.Clone(),
        Clinician = Prescriber(),
        Kind = kind,
        OccurredAt = Timestamp.FromDateTimeOffset(at),
        LocationState = "NY",
    };
}
