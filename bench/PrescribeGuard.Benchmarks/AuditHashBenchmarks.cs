using BenchmarkDotNet.Attributes;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Benchmarks;

/// <summary>
/// The audit hashes every decision pays for on the write path: the content hash over the decision's
/// audited fields (its payload is the answered decision, 0.5-4 KB) and the link hash over it.
/// </summary>
[MemoryDiagnoser]
public class AuditHashBenchmarks
{
    private object?[] _decisionFields = null!;

    [Params(512, 2048)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[PayloadBytes];
        new Random(20261201).NextBytes(payload);
        _decisionFields =
        [
            "dec_01JEXAMPLE0000000000000000", "platform-a", "req-000123", new string('f', 64), new string('p', 64),
            1L, 1L, "sha256:0123456789abcdef", 1764590000000L, null, payload,
        ];
    }

    [Benchmark(Baseline = true)]
    public string DecisionContent() => AuditHash.Content(_decisionFields);

    [Benchmark]
    public string DecisionLink() => AuditHash.Link(42, AuditKind.Decision, "dec_01JEXAMPLE0000000000000000", DecisionContent(), AuditHash.Genesis);
}
