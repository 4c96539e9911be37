using System.Globalization;

namespace PrescribeGuard.LoadTest;

/// <summary>What one measured phase saw: calls, their latencies and every non-OK status.</summary>
public sealed class PhaseResult(string name, TimeSpan elapsed, long[] latencyTicks, IReadOnlyDictionary<string, long> errors, ProcessCost cost)
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

    public double PercentileMs(double p)
    {
        if (latencyTicks.Length == 0)
        {
            return double.NaN;
        }

        var index = (int)Math.Min(latencyTicks.Length - 1, Math.Ceiling(p / 100 * latencyTicks.Length) - 1);
        return latencyTicks[Math.Max(0, index)] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
    }

    public static string Header =>
        "| phase | calls | throughput (/s) | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | CPU % (of 2 cores) | KB allocated / call | GC pause % |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string Row() => string.Create(
        CultureInfo.InvariantCulture,
        $"| {Name} | {Calls:N0} | {Throughput:N0} | {PercentileMs(50):F3} | {PercentileMs(90):F3} | {PercentileMs(99):F3} | {PercentileMs(99.9):F3} | {PercentileMs(100):F3} | {FormatErrors()} | {CpuPercent:F0} | {AllocatedBytesPerCall / 1024:F1} | {GcPausePercent:F1} |");

    private string FormatErrors() =>
        Errors == 0 ? "0" : string.Join(", ", ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}"));

    public static PhaseResult From(string name, TimeSpan elapsed, IEnumerable<List<long>> latencies, IEnumerable<Dictionary<string, long>> errors, ProcessCost cost)
    {
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        var merged = new Dictionary<string, long>();
        foreach (var (status, count) in errors.SelectMany(e => e))
        {
            merged[status] = merged.GetValueOrDefault(status) + count;
        }

        return new PhaseResult(name, elapsed, all, merged, cost);
    }
}
