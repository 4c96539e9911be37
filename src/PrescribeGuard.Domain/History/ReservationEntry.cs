using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.History;

/// <summary>
/// A decision that allowed a prescription and holds its place until the platform confirms or
/// releases it. The ledger hands over only reservations neither confirmed nor released; expiry is
/// judged against the evaluation time so that dry runs with an as-of date see them correctly; one
/// made by an instance whose clock runs ahead (within <see cref="ClockSkew"/>) holds at once, and
/// every check keeps counting one for the tolerance past its expiry: an instance whose clock runs
/// behind still confirms it until its own clock reaches the expiry.
/// </summary>
public sealed record ReservationEntry(
    string PlatformId,
    string DecisionId,
    string PrescriberNpi,
    Medication Medication,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt)
{
    public bool IsPendingAt(DateTimeOffset at) => CreatedAt <= at + ClockSkew.Tolerance && at < ExpiresAt + ClockSkew.Tolerance;
}
