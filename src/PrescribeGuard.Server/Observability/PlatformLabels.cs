using System.Collections.Concurrent;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Bounds the platform label: the first <c>limit</c> platform ids seen are their own label value,
/// any later one is "other". Platform ids are configuration-sized (the integrating platforms), but
/// until callers are authenticated the header is caller-chosen.
/// </summary>
public sealed class PlatformLabels(int limit)
{
    public const string Other = "other";

    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);
    private int _count;

    public string For(string platformId)
    {
        if (_known.ContainsKey(platformId))
        {
            return platformId;
        }

        if (Interlocked.Increment(ref _count) > limit)
        {
            Interlocked.Decrement(ref _count);
            return Other;
        }

        if (!_known.TryAdd(platformId, true))
        {
            Interlocked.Decrement(ref _count);
        }

        return platformId;
    }
}
