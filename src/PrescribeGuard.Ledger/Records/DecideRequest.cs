using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Records;

/// <summary>
/// Identifies a check for idempotency: a repeat of (PlatformId, RequestId) with the same
/// fingerprint replays the stored decision; with another fingerprint it is a conflict.
/// </summary>
public sealed record DecideRequest(string PlatformId, string RequestId, string RequestFingerprint, PatientKey PatientKey);

public sealed record DecideResult(DecisionRecord Decision, bool Replayed);
