using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using PrescribeGuard.Ledger;
using PrescribeGuard.V1;

namespace PrescribeGuard.LoadTest;

/// <summary>Seeds (when needed), starts or targets a guard, and measures Health/Check beside CheckPrescription.</summary>
public static class LoadTestRunner
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        Console.WriteLine($"PrescribeGuard load test: {options.Patients:N0} patients, ledger {options.Ledger}, cache {options.Cache}, " +
            $"{options.Connections} connections, {options.Concurrency} in flight, {options.DurationSeconds} s per phase" +
            (options.Rate > 0 ? $", fixed rate {options.Rate}/s" : string.Empty));
        Directory.CreateDirectory(options.DataDirectory!);
        var seededAt = await LedgerSeeding.ReadAsync(options) ?? await LedgerSeeding.SeedDirectAsync(options);
        if (options.SeedOnly && seededAt is not null)
        {
            return 0;
        }

        if (options.AuditCost)
        {
            // Never fall through to a load run: the options it was given were for the upgrade's cost.
            return seededAt is null ? throw new ArgumentException("--audit-cost needs a ledger this process can seed directly") : await AuditCost.RunAsync(options);
        }

        await using var guard = options.Target is null ? await InProcessGuard.StartAsync(options) : null;
        var address = options.Target ?? guard!.Address;
        Console.WriteLine($"guard at {address}");
        var channels = Enumerable.Range(0, options.Connections).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                AutomaticDecompression = DecompressionMethods.None,
            },
        })).ToArray();
        var invokers = channels.Select(c => c.CreateCallInvoker()).ToArray();

        if (seededAt is null)
        {
            seededAt = LedgerSeeding.SeedingTime();
            Console.WriteLine($"seeding {options.Patients:N0} patients through the gRPC API ...");
            var report = await GrpcSeeder.SeedAsync(invokers, options.Patients, seededAt.Value, options.Concurrency);
            Console.WriteLine($"seeded {report.Rows:N0} records in {report.TotalTime.TotalSeconds:F1} s ({report.Rows / report.TotalTime.TotalSeconds:N0} records/s)");
            await LedgerSeeding.MarkAsync(options, seededAt.Value);
        }

        if (options.SeedOnly)
        {
            return 0;
        }

        var requests = new Requests(options.Patients, seededAt.Value, options.ReservingShare, options.RandomRequestIds);
        var mix = new long[3, 2];
        var health = new Driver("Health/Check", async (_, invoker) =>
        {
            var reply = await new Health.HealthClient(invoker).CheckAsync(new HealthCheckRequest());
            if (reply.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                throw new InvalidDataException(reply.Status.ToString());
            }

            return 0;
        }, invokers, ["Health/Check"]);
        var check = new Driver("CheckPrescription", async (random, invoker) =>
        {
            var (request, headers, kind) = requests.Next(random);
            Interlocked.Increment(ref mix[(int)kind, request.DryRun ? 0 : 1]);
            var decision = await new PrescriptionGuard.PrescriptionGuardClient(invoker).CheckPrescriptionAsync(request, headers);
            if (decision.Outcome == Outcome.Unspecified || decision.DecisionId.Length == 0 || decision.DryRun != request.DryRun)
            {
                throw new InvalidDataException("decision without outcome or id");
            }

            return (int)kind;
        }, invokers, Enum.GetNames<CheckKind>());

        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        if (guard is not null && options.SettleSeconds > 0)
        {
            await SettleJitAsync(health, check, options.Concurrency, TimeSpan.FromSeconds(options.SettleSeconds));
        }

        // What the ledger's write path did in each check phase (warm-up included): in-process only.
        var ledgerPhases = new List<(PhaseResult Phase, LedgerMetricsSnapshot Ledger, TimeSpan Elapsed)>();
        async Task<PhaseResult> CheckPhaseAsync(Func<Task<PhaseResult>> phase)
        {
            var before = guard?.LedgerTotals();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = await phase();
            if (guard is not null)
            {
                ledgerPhases.Add((result, guard.LedgerTotals().Since(before!.Value), watch.Elapsed));
            }

            return result;
        }

        var pairs = new List<(PhaseResult Health, PhaseResult Check)>();
        for (var round = 0; round < options.Rounds; round++)
        {
            // Later rounds only settle the connections: the code is warm after the first.
            var settle = round == 0 ? warmup : TimeSpan.FromSeconds(Math.Min(1, options.WarmupSeconds));
            pairs.Add((
                await health.ClosedLoopAsync(options.Concurrency, settle, duration),
                await CheckPhaseAsync(() => check.ClosedLoopAsync(options.Concurrency, settle, duration))));
        }

        var results = pairs.SelectMany(pair => new[] { pair.Health, pair.Check }).ToList();
        if (options.Rate > 0)
        {
            results.Add(await health.FixedRateAsync(options.Rate, warmup, duration));
            results.Add(await CheckPhaseAsync(() => check.FixedRateAsync(options.Rate, warmup, duration)));
        }

        Console.WriteLine();
        Console.WriteLine(PhaseResult.Header);
        foreach (var result in results)
        {
            Console.WriteLine(result.Row());
        }

        Console.WriteLine();
        foreach (var line in results.Select(result => result.KindsLine()).OfType<string>())
        {
            Console.WriteLine(line);
        }

        Console.WriteLine();
        var ratios = pairs.Select(pair => pair.Check.Throughput / pair.Health.Throughput).ToArray();
        var each = ratios.Length > 1
            ? string.Create(CultureInfo.InvariantCulture, $"; median of {ratios.Length} pairs: {string.Join(", ", ratios.Select(r => r.ToString("F3", CultureInfo.InvariantCulture)))}")
            : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Check ÷ Health throughput: {Median(ratios):F3} (closed loop, same connections and concurrency{each})"));
        if (ratios.Length >= 4)
        {
            // Pairs of one run differ by up to a factor of two (the machine's speed changes from second to
            // second): how far apart the middle half lies says what a difference between runs can mean.
            var (lower, upper) = Quartiles(ratios);
            var ofTotals = pairs.Sum(pair => pair.Check.Throughput) / pairs.Sum(pair => pair.Health.Throughput);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Check ÷ Health spread: middle half of the pairs {lower:F3}-{upper:F3}; summed over all pairs {ofTotals:F3}"));
        }

        var total = (double)mix.Cast<long>().Sum();
        Console.WriteLine("check mix (all phases incl. warm-up): " + string.Join(", ",
            Enum.GetValues<CheckKind>().Select(k => string.Create(CultureInfo.InvariantCulture,
                $"{k} {(mix[(int)k, 0] + mix[(int)k, 1]) / total:P0} ({mix[(int)k, 1]:N0} reserving)"))));
        foreach (var (phase, ledger, elapsed) in ledgerPhases)
        {
            Console.WriteLine(LedgerSummary(phase, ledger, elapsed));
        }

        if (guard?.CacheSummary() is { } cacheSummary)
        {
            Console.WriteLine(cacheSummary);
        }

        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        return results.All(r => r.Errors == 0) ? 0 : 1;
    }

    private static string LedgerSummary(PhaseResult phase, LedgerMetricsSnapshot ledger, TimeSpan elapsed)
    {
        var decisions = ledger.SingleCommandDecisions + ledger.TransactionDecisions;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"ledger during {phase.Name} (with its warm-up): {decisions:N0} decisions written, {(double)ledger.SingleCommandDecisions / Math.Max(1, decisions):P0} as one command");
        if (ledger.DecisionBatches > 0)
        {
            summary += string.Create(CultureInfo.InvariantCulture,
                $"; {ledger.BatchedDecisions:N0} of them in {ledger.DecisionBatches:N0} batches of {(double)ledger.BatchedDecisions / ledger.DecisionBatches:F1} on average");
        }

        if (ledger.GroupCommits > 0)
        {
            summary += string.Create(CultureInfo.InvariantCulture,
                $"; {ledger.GroupCommits:N0} group commits of {(double)ledger.GroupCommitWrites / ledger.GroupCommits:F1} writes on average; " +
                $"{ledger.WalSyncs:N0} WAL fsyncs, {ledger.WalSyncSeconds * 1000 / Math.Max(1, ledger.WalSyncs):F2} ms on average (an fsync running {ledger.WalSyncSeconds / elapsed.TotalSeconds:P0} of the time); " +
                $"checkpoints: {ledger.BackgroundCheckpoints:N0} in the background ({ledger.BackgroundCheckpointSeconds * 1000 / Math.Max(1, ledger.BackgroundCheckpoints):F1} ms on average), " +
                $"{ledger.WriterCheckpoints:N0} by the writer ({ledger.WriterCheckpointSeconds * 1000 / Math.Max(1, ledger.WriterCheckpoints):F1} ms on average, {ledger.WriterCheckpointSeconds / elapsed.TotalSeconds:P1} of the time)");
        }

        return summary;
    }

    /// <summary>
    /// Tiered compilation goes on for tens of seconds after a call path is first used (tier 0, then
    /// instrumented, then optimised code for thousands of methods of the guard, ASP.NET Core, the
    /// drivers and this client); measured meanwhile, a phase pays for the JIT's thread. So both calls
    /// are driven until the process compiles fewer than a few methods a second (or the limit).
    /// </summary>
    private static async Task SettleJitAsync(Driver health, Driver check, int concurrency, TimeSpan limit)
    {
        const long QuietMethodsPerStep = 30;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var first = System.Runtime.JitInfo.GetCompiledMethodCount();
        long grown;
        do
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await check.WarmAsync(concurrency, TimeSpan.FromSeconds(3));
            await health.WarmAsync(concurrency, TimeSpan.FromSeconds(1));
            grown = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
        }
        while (grown >= QuietMethodsPerStep && watch.Elapsed < limit);

        var limited = grown >= QuietMethodsPerStep ? " (limit reached)" : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"JIT settle: {watch.Elapsed.TotalSeconds:F0} s, {System.Runtime.JitInfo.GetCompiledMethodCount() - first:N0} methods compiled, {grown} in the last 4 s{limited}"));
    }

    private static double Median(double[] values) => Quantile(values.Order().ToArray(), 0.5);

    private static (double Lower, double Upper) Quartiles(double[] values)
    {
        var sorted = values.Order().ToArray();
        return (Quantile(sorted, 0.25), Quantile(sorted, 0.75));
    }

    /// <summary>Linear interpolation between the closest ranks (the median of an even count is the mean of the middle two).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
