using System.Diagnostics;
using Grpc.Core;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Drives one kind of call. Closed loop: a fixed number of calls always in flight, as fast as the
/// server answers. Open loop: calls started at a fixed rate whatever the answers do, each timed from
/// its own start. A call counts as a success only when its gRPC status is OK and its answer is valid.
/// Each call returns its kind (an index into <paramref name="kinds"/>), so that a phase's latencies
/// can also be read per kind: a check's path through the guard depends on its kind.
/// </summary>
public sealed class Driver(string name, Func<Random, CallInvoker, Task<int>> call, IReadOnlyList<CallInvoker> invokers, IReadOnlyList<string> kinds)
{
    public async Task<PhaseResult> ClosedLoopAsync(int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await RunClosedAsync(concurrency, warmup, record: false);
        return await RunClosedAsync(concurrency, duration, record: true);
    }

    /// <summary>Closed-loop calls for <paramref name="duration"/>, not measured.</summary>
    public Task WarmAsync(int concurrency, TimeSpan duration) => RunClosedAsync(concurrency, duration, record: false);

    private async Task<PhaseResult> RunClosedAsync(int concurrency, TimeSpan duration, bool record)
    {
        var latencies = Enumerable.Range(0, concurrency).Select(_ => new List<TimedCall>(1 << 14)).ToArray();
        var errors = Enumerable.Range(0, concurrency).Select(_ => new Dictionary<string, long>()).ToArray();
        var cost = ProcessCost.Begin();
        var watch = Stopwatch.StartNew();
        var deadline = duration.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random(w * 31 + 7);
            var invoker = invokers[w % invokers.Count];
            while (watch.ElapsedTicks < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                var (kind, failure) = await TryCallAsync(random, invoker);
                var took = Stopwatch.GetTimestamp() - started;
                if (failure is null)
                {
                    latencies[w].Add(new TimedCall(kind, took));
                }
                else
                {
                    errors[w][failure] = errors[w].GetValueOrDefault(failure) + 1;
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed;
        return PhaseResult.From(record ? name : name + " (warm-up)", elapsed, latencies, errors, cost.Since(elapsed), kinds);
    }

    public async Task<PhaseResult> FixedRateAsync(int rate, TimeSpan warmup, TimeSpan duration)
    {
        await RunRateAsync(rate, warmup, record: false);
        return await RunRateAsync(rate, duration, record: true);
    }

    private async Task<PhaseResult> RunRateAsync(int rate, TimeSpan duration, bool record)
    {
        var latencies = new List<TimedCall>((int)(rate * duration.TotalSeconds) + 16);
        var errors = new Dictionary<string, long>();
        var gate = new object();
        var inFlight = new List<Task>();
        var random = new Random(99);
        var cost = ProcessCost.Begin();
        var watch = Stopwatch.StartNew();
        long started = 0;
        long skipped = 0;
        while (watch.Elapsed < duration)
        {
            var due = (long)(watch.Elapsed.TotalSeconds * rate);
            for (; started < due; started++)
            {
                if (inFlight.Count > 20_000)
                {
                    skipped++;
                    continue;
                }

                var invoker = invokers[(int)(started % invokers.Count)];
                var seed = random.Next();
                inFlight.Add(Task.Run(async () =>
                {
                    var begin = Stopwatch.GetTimestamp();
                    var (kind, failure) = await TryCallAsync(new Random(seed), invoker);
                    var took = Stopwatch.GetTimestamp() - begin;
                    lock (gate)
                    {
                        if (failure is null)
                        {
                            latencies.Add(new TimedCall(kind, took));
                        }
                        else
                        {
                            errors[failure] = errors.GetValueOrDefault(failure) + 1;
                        }
                    }
                }));
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
        var elapsed = watch.Elapsed;
        if (skipped > 0)
        {
            errors["NOT_SENT (client backlog)"] = skipped;
        }

        return PhaseResult.From(
            (record ? name : name + " (warm-up)") + $" @ {rate}/s",
            elapsed,
            [latencies],
            [errors],
            cost.Since(elapsed),
            kinds);
    }

    private async Task<(int Kind, string? Failure)> TryCallAsync(Random random, CallInvoker invoker)
    {
        try
        {
            return (await call(random, invoker), null);
        }
        catch (RpcException ex)
        {
            return (0, ex.StatusCode.ToString());
        }
        catch (InvalidDataException ex)
        {
            return (0, "INVALID_ANSWER: " + ex.Message);
        }
    }
}

/// <summary>One answered call: its kind (see <see cref="Driver"/>) and how long it took, in <see cref="Stopwatch"/> ticks.</summary>
public readonly record struct TimedCall(int Kind, long Ticks);
