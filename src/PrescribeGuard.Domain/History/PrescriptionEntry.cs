using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.History;

/// <summary>A controlled-substance prescription some platform issued to the patient.</summary>
public sealed record PrescriptionEntry(
    string PlatformId,
    string PrescriptionId,
    string PrescriberNpi,
    Medication Medication,
    DateTimeOffset IssuedAt,
    bool Imported);
