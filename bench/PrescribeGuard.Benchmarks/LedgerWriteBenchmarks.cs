using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Memory;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;

namespace PrescribeGuard.Benchmarks;

/// <summary>
/// The embedded ledger's share of a check: a decision that reserves nothing, made on a cached
/// history, written durably through the group-commit writer (its savepoint, the request-id and
/// revision look-up, the decision row and its audit link, the commit and the WAL fsync). The file
/// lives in /dev/shm where there is one, so the figure is the CPU and hand-offs, not the disk.
/// </summary>
/// <remarks>
/// <c>SixteenAtOnce</c> writes 16 decisions concurrently (one group commit, as under load) and
/// reports per decision.
/// </remarks>
[MemoryDiagnoser]
public class LedgerWriteBenchmarks
{
    private const int Patients = 64;
    private static readonly byte[] Payload = new byte[1024];

    private string _folder = null!;
    private SqliteDialect _dialect = null!;
    private SqlGuardLedger _ledger = null!;
    private MemoryCache _memory = null!;
    private PatientKey[] _patients = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _folder = Path.Combine(root, "prescribeguard-ledger-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _dialect = new SqliteDialect(Path.Combine(_folder, "ledger.db"));
        _memory = new MemoryCache(new MemoryCacheOptions());
        _ledger = new SqlGuardLedger(_dialect, new MemoryHistoryCache(_memory, TimeSpan.FromHours(1)));
        _ledger.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        _patients = [.. Enumerable.Range(0, Patients).Select(i => new PatientKey(Convert.ToHexStringLower(BitConverter.GetBytes((long)i)).PadLeft(64, '0')))];

        // Each patient's first decision reads the history and caches it; every later one decides on the cache.
        foreach (var patient in _patients)
        {
            DecideAsync(patient).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dialect.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _memory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<DecideResult> OneDecision() => DecideAsync(_patients[_next % Patients]);

    [Benchmark(OperationsPerInvoke = 16)]
    public Task SixteenAtOnce()
    {
        var writes = new Task[16];
        var first = Interlocked.Read(ref _next);
        for (var i = 0; i < writes.Length; i++)
        {
            writes[i] = DecideAsync(_patients[(first + i) % Patients]);
        }

        return Task.WhenAll(writes);
    }

    /// <summary>
    /// CPU and allocation per decision with <paramref name="inFlight"/> writes outstanding, as under
    /// load: the wall-clock benchmarks above include the waits between the writer's hand-offs, which
    /// cost no CPU, so this is the figure to compare a change of the write path with.
    /// </summary>
    public static string MeasureCpu(int decisions, int inFlight)
    {
        var bench = new LedgerWriteBenchmarks();
        bench.Setup();
        try
        {
            RunClosedLoop(bench, decisions / 4, inFlight); // warm-up: tiered compilation
            var cpu = Environment.CpuUsage.TotalTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            RunClosedLoop(bench, decisions, inFlight);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var cpuPerDecision = (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / decisions;
            var bytesPerDecision = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)decisions;
            return FormattableString.Invariant(
                $"{decisions:N0} decisions, {inFlight} in flight: {decisions / elapsed.TotalSeconds:N0}/s, {cpuPerDecision:N1} µs of CPU and {bytesPerDecision / 1024:N2} KB allocated per decision");
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static void RunClosedLoop(LedgerWriteBenchmarks bench, int decisions, int inFlight)
    {
        var remaining = decisions;
        Task.WaitAll([.. Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                await bench.DecideAsync(bench._patients[Random.Shared.Next(Patients)]);
            }
        }))]);
    }

    private Task<DecideResult> DecideAsync(PatientKey patient)
    {
        var n = Interlocked.Increment(ref _next);
        var request = new DecideRequest("platform-a", "req-" + n, "fingerprint", patient);
        return _ledger.DecideAsync(
            request,
            _ => new DecisionRecord(
                "dec-" + n, request.PlatformId, request.RequestId, request.RequestFingerprint, patient, Outcome.Allow, true, "sha256:0123abcd",
                DateTimeOffset.UtcNow, null, ReservationState.None, null, Payload),
            CancellationToken.None);
    }
}
