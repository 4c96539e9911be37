using BenchmarkDotNet.Attributes;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.V1;

namespace PrescribeGuard.Benchmarks;

/// <summary>
/// What the guard's own metrics cost one check: its gRPC call (count and duration), its decision
/// and findings, and the ledger operation that wrote it.
/// </summary>
[MemoryDiagnoser]
public class GuardMetricsBenchmarks
{
    private readonly GuardMetrics _metrics = new(maxPlatformLabels: 50);

    private readonly Decision _decision = new()
    {
        Outcome = Outcome.Review,
        DryRun = true,
        Findings =
        {
            new Finding { Code = "CUMULATIVE_DOSE_HIGH", Severity = Severity.Warning },
            new Finding { Code = "MULTIPLE_PRESCRIBERS", Severity = Severity.Warning },
            new Finding { Code = "IN_PERSON_EVALUATION_MISSING", Severity = Severity.Critical, Shadow = true },
        },
    };

    [Benchmark]
    public void OneCheck()
    {
        _metrics.GrpcCall("prescribeguard.v1.PrescriptionGuard", "CheckPrescription", "OK", 0.0012);
        _metrics.Decided("platform-a", _decision);
        _metrics.LedgerOperation("decide", 0.0008, failed: false);
    }
}
