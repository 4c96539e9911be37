using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Records;

public sealed record StoredEncounter(PatientKey PatientKey, string PlatformPatientId, EncounterEntry Entry, string Fingerprint);
