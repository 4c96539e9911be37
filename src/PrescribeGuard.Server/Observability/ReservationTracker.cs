using System.Collections.Concurrent;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// The reservations this instance created and has not yet seen confirmed or released here, with
/// their expiry. <see cref="ReservationExpirySweep"/> asks the ledger about each one once it is
/// past its expiry and counts it as expired only if the ledger still has it pending, so a
/// reservation confirmed through another instance is never miscounted, and each reservation is
/// counted by exactly one instance (the one that created it). Reservations created before a
/// restart are forgotten: their expiry is not counted.
/// </summary>
public sealed class ReservationTracker(int capacity)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);

    public int Count => _pending.Count;

    /// <summary>False when the tracker is full and the reservation is not tracked.</summary>
    public bool Track(string decisionId, DateTimeOffset expiresAt)
    {
        if (_pending.Count >= capacity)
        {
            return false;
        }

        _pending[decisionId] = expiresAt;
        return true;
    }

    public void Forget(string decisionId) => _pending.TryRemove(decisionId, out _);

    /// <summary>The tracked reservations whose expiry is at or before <paramref name="now"/>.</summary>
    public IReadOnlyList<string> Due(DateTimeOffset now, int max) =>
        [.. _pending.Where(entry => entry.Value <= now).Take(max).Select(entry => entry.Key)];
}
