using System.Collections.Concurrent;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// The series of a labelled metric by a key of the caller's. A hot path then finds its series with
/// one lookup instead of building a label array and hashing every label value on each observation
/// (prometheus-net's WithLabels). Keys must come from bounded sets, as the label values do.
/// </summary>
internal sealed class SeriesCache<TKey, TSeries>(Func<TKey, TSeries> create)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TSeries> _series = new();

    public TSeries For(TKey key) => _series.TryGetValue(key, out var series) ? series : _series.GetOrAdd(key, create);
}
