using Microsoft.Extensions.Caching.Memory;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Caching;

/// <summary>The embedded default: an in-process, size-bounded cache with sliding expiry.</summary>
public sealed class MemoryHistoryCache(IMemoryCache cache, TimeSpan slidingExpiry) : IHistoryCache
{
    private sealed record Entry(long Revision, PatientHistory History);

    public ValueTask<PatientHistory?> GetAsync(PatientKey patientKey, long revision, CancellationToken cancellationToken) =>
        ValueTask.FromResult(cache.TryGetValue(patientKey.Value, out Entry? entry) && entry!.Revision == revision ? entry.History : null);

    public ValueTask<CachedHistory?> GetLatestAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
        ValueTask.FromResult<CachedHistory?>(cache.TryGetValue(patientKey.Value, out Entry? entry) ? new CachedHistory(entry!.Revision, entry.History) : null);

    public ValueTask SetAsync(PatientKey patientKey, long revision, PatientHistory history, CancellationToken cancellationToken)
    {
        cache.Set(patientKey.Value, new Entry(revision, history), new MemoryCacheEntryOptions { SlidingExpiration = slidingExpiry, Size = 1 });
        return ValueTask.CompletedTask;
    }

    public ValueTask InvalidateAsync(PatientKey patientKey, CancellationToken cancellationToken)
    {
        cache.Remove(patientKey.Value);
        return ValueTask.CompletedTask;
    }
}
