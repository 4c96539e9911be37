using System.Globalization;

namespace PrescribeGuard.LoadTest;

/// <summary>What one measured phase saw: calls, their latencies and every non-OK status.</summary>
public sealed class PhaseResult(
    string name, TimeSpan elapsed, long[] latencyTicks, IReadOnlyDictionary<string, long> errors, ProcessCost cost, IReadOnlyList<(string Kind, long[] LatencyTicks)> byKind)
{
    public string Name { get; } = name;

    public long Calls => latencyTicks.Length;

    public long Errors => ErrorsByStatus.Values.Sum();

    public IReadOnlyDictionary<string, long> ErrorsByStatus { get; } = errors;

    public double Throughput => (Calls + Errors) / elapsed.TotalSeconds;

    public double CpuPercent => cost.CpuPercent;

    /// <summary>Bytes this process allocated per call (client and in-process guard together).</summary>
    public double AllocatedBytesPerCall => (double)cost.AllocatedBytes / Math.Max(1, Calls + Errors);

    public double GcPausePercent => cost.GcPausePercent;

    public double PercentileMs(double p) => PercentileMs(latencyTicks, p);

    private static double PercentileMs(long[] sortedTicks, double p)
    {
        if (sortedTicks.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Min(sortedTicks.Length - 1, Math.Ceiling(p / 100 * sortedTicks.Length) - 1);
        return sortedTicks[Math.Max(0, index)] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
    }

    /// <summary>The latencies of each kind of call, where the phase had more than one kind; else null.</summary>
    public string? KindsLine() => byKind.Count < 2
        ? null
        : $"{Name} by kind: " + string.Join("; ", byKind.Select(kind => string.Create(
            CultureInfo.InvariantCulture,
            $"{kind.Kind} {kind.LatencyTicks.Length:N0} calls, p50 {PercentileMs(kind.LatencyTicks, 50):F3} / p90 {PercentileMs(kind.LatencyTicks, 90):F3} / p99 {PercentileMs(kind.LatencyTicks, 99):F3} ms")));

    public static string Header =>
        "| phase | calls | throughput (/s) | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | CPU % (of 2 cores) | KB allocated / call | GC pause % |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string Row() => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Name} | {Calls:N0} | {Throughput:N0} | {PercentileMs(50):F3} | {PercentileMs(90):F3} | {PercentileMs(99):F3} | {PercentileMs(99.9):F3} | {PercentileMs(100):F3} | {FormatErrors()} | {CpuPercent:F0} | {AllocatedBytesPerCall / 1024:F1} | {GcPausePercent:F1} |");

    private string FormatErrors() =>
        Errors == 0 ? "0" : string.Join(", ", ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}"));

    public static PhaseResult From(
        string name, TimeSpan elapsed, IEnumerable<List<TimedCall>> latencies, IEnumerable<Dictionary<string, long>> errors, ProcessCost cost, IReadOnlyList<string> kinds)
    {
        var calls = latencies.SelectMany(l => l).ToArray();
        var all = calls.Select(call => call.Ticks).ToArray();
        Array.Sort(all);
        var byKind = kinds.Select((kind, index) =>
        {
            var ticks = calls.Where(call => call.Kind == index).Select(call => call.Ticks).ToArray();
            Array.Sort(ticks);
            return (kind, ticks);
        }).ToArray();
        var merged = new Dictionary<string, long>();
        foreach (var (status, count) in errors.SelectMany(e => e))
        {
            merged[status] = merged.GetValueOrDefault(status) + count;
        }

        return new PhaseResult(name, elapsed, all, merged, cost, byKind);
    }
}
