using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Caching;

/// <summary>
/// A cache of patient histories, each stored with the patient's revision in the ledger. The ledger
/// reads the revision inside the patient's serialised transaction and uses a cached history only
/// when the revisions match, so a stale or foreign entry can make a check slower, never wrong.
/// Implementations swallow their own failures: a cache that is down is a cache that misses.
/// </summary>
public interface IHistoryCache
{
    ValueTask<PatientHistory?> GetAsync(PatientKey patientKey, long revision, CancellationToken cancellationToken);

    /// <summary>
    /// The cached history with whatever revision it has, or null. For deciding speculatively before
    /// the patient's transaction; the ledger uses such a decision only if the revision it then reads
    /// inside the transaction is the same. A cache that cannot answer cheaply returns null.
    /// </summary>
    ValueTask<CachedHistory?> GetLatestAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
        ValueTask.FromResult<CachedHistory?>(null);

    /// <summary>
    /// Stores the history at its revision. May return before the entry is stored (Redis answers in
    /// the background, off the check's reply): an entry that lands late, or never, costs a miss.
    /// </summary>
    ValueTask SetAsync(PatientKey patientKey, long revision, PatientHistory history, CancellationToken cancellationToken);

    ValueTask InvalidateAsync(PatientKey patientKey, CancellationToken cancellationToken);
}

/// <summary>A patient's history as cached, with the ledger revision it was read at.</summary>
public readonly record struct CachedHistory(long Revision, PatientHistory History);
