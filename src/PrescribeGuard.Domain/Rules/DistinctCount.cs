namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Counts distinct strings (prescribers, pharmacies, platforms) with a set kept per thread: a new
/// hash set per count would be most of what a decision allocates. The evaluator is shared by
/// concurrent requests, so the set is per thread and taken out of its slot while in use.
/// </summary>
internal static class DistinctCount
{
    // Above this many entries the set is left to the GC rather than kept by the thread.
    private const int MaxKeptCount = 1024;

    [ThreadStatic]
    private static HashSet<string>? t_spare;

    /// <summary>The thread's spare empty set (or a new one when it is in use); give it back with <see cref="Return"/>.</summary>
    public static HashSet<string> Rent()
    {
        var set = t_spare ?? new HashSet<string>(StringComparer.Ordinal);
        t_spare = null;
        return set;
    }

    /// <summary>The set's count, after which the set is emptied and kept for the thread's next count.</summary>
    public static int Return(HashSet<string> set)
    {
        var count = set.Count;
        if (count <= MaxKeptCount)
        {
            set.Clear();
            t_spare = set;
        }

        return count;
    }
}
