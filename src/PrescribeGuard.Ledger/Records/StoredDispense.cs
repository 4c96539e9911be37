using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Records;

public sealed record StoredDispense(PatientKey PatientKey, string PlatformPatientId, DispenseEntry Entry, string Fingerprint);
