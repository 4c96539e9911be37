using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.History;

/// <summary>An in-person evaluation or a supervised administration.</summary>
public sealed record EncounterEntry(
    string PlatformId,
    string EncounterId,
    string ClinicianNpi,
    EncounterKind Kind,
    DateTimeOffset OccurredAt,
    string LocationState,
    int MonitoringMinutes,
    BloodPressure? BloodPressure,
    Medication? Medication);
