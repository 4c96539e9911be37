using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Records;

/// <summary>Released is false when the reservation had already been released or had expired.</summary>
public sealed record ReleaseResult(bool Released, PatientKey PatientKey);
