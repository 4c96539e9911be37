using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Records;

/// <summary>
/// A prescription as stored: the history entry plus what the audit trail needs. The fingerprint
/// is a hash of the PHI-free content, compared when the same id is recorded again.
/// </summary>
public sealed record StoredPrescription(
    PatientKey PatientKey,
    string PlatformPatientId,
    PrescriptionEntry Entry,
    string PrescriberDea,
    string? DecisionId,
    string? OverrideReasonCode,
    string? OverrideComment,
    string Fingerprint);
