using PrescribeGuard.Domain.Prescribing;
using Proto = PrescribeGuard.V1;

namespace PrescribeGuard.Server.Mapping;

/// <summary>Maps validated contract messages to the domain's types (enum values offset by the UNSPECIFIED zero).</summary>
public static class ToDomain
{
    public static Medication Medication(Proto.Medication m) => new(
        (DrugClass)((int)m.DrugClass - 1),
        m.Compounded,
        (Domain.Prescribing.Route)((int)m.Route - 1),
        (AdministrationSetting)((int)m.Setting - 1),
        m.DoseMg,
        m.TotalMg,
        m.DaysSupply,
        m.RefillsAuthorized);

    public static EncounterMode EncounterMode(Proto.EncounterMode mode) => (EncounterMode)((int)mode - 1);

    public static EncounterKind EncounterKind(Proto.EncounterKind kind) => (EncounterKind)((int)kind - 1);

    public static BloodPressure? BloodPressure(Proto.BloodPressure? reading) =>
        reading is null ? null : new BloodPressure(reading.Systolic, reading.Diastolic, reading.MeasuredAt.ToDateTimeOffset());

    public static PatientFacts PatientFacts(Proto.Patient patient) => new(
        patient.LocationState,
        patient.RiskFactors.Select(r => (RiskFactor)((int)r - 1)).ToHashSet(),
        BloodPressure(patient.LatestBloodPressure),
        patient.WeightKg > 0 ? patient.WeightKg : null)
    {
        TimeZone = PatientTimeZones.Of(patient.LocationState),
    };

    public static PrescriberFacts PrescriberFacts(Proto.Prescriber prescriber) => new(
        prescriber.Npi,
        prescriber.DeaNumber,
        prescriber.AuthorizedStates.ToHashSet(StringComparer.Ordinal));
}
