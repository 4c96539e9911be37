using BenchmarkDotNet.Attributes;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Benchmarks;

/// <summary>
/// One decision of the pure evaluator: the default rules under policy/default.json over an
/// in-memory history. The policy is parsed once, as the server does.
/// </summary>
/// <remarks>
/// A finding formats its summary and detail when first read, so <c>Evaluate</c> alone does not pay
/// for the text. The <c>...WithText</c> variants also read every finding's text, as the server does
/// to build its reply: that is the honest cost of an answered check.
/// </remarks>
[MemoryDiagnoser]
public class EvaluatorBenchmarks
{
    private PrescriptionEvaluator _evaluator = null!;
    private GuardPolicy _policy = null!;
    private PatientHistory _history = null!;
    private PrescriptionCheck _newCheck = null!;
    private PrescriptionCheck _refillCheck = null!;
    private PrescriptionCheck _clinicCheck = null!;

    [Params(0, 10, 40)]
    public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var catalog = DefaultRules.Create();
        _evaluator = new PrescriptionEvaluator(catalog);
        var path = Path.Combine(AppContext.BaseDirectory, "policy", "default.json");
        _policy = PolicyParser.Parse(File.ReadAllText(path), catalog);
        _history = SyntheticHistory.Create(Events);
        _newCheck = SyntheticHistory.NewCheck();
        _refillCheck = SyntheticHistory.RefillCheck(_history);
        _clinicCheck = SyntheticHistory.ClinicCheck();
    }

    [Benchmark(Baseline = true)]
    public Evaluation NewPrescription() => _evaluator.Evaluate(_newCheck, _history, _policy);

    [Benchmark]
    public Evaluation Refill() => _evaluator.Evaluate(_refillCheck, _history, _policy);

    /// <summary>An in-person clinic infusion: the rules run, few of them find anything to say.</summary>
    [Benchmark]
    public Evaluation ClinicInPerson() => _evaluator.Evaluate(_clinicCheck, _history, _policy);

    [Benchmark]
    public int NewPrescriptionWithText() => RenderText(NewPrescription());

    [Benchmark]
    public int RefillWithText() => RenderText(Refill());

    [Benchmark]
    public int ClinicInPersonWithText() => RenderText(ClinicInPerson());

    /// <summary>Reads what the server's reply carries of each finding (ToContract.Finding), the text included.</summary>
    private static int RenderText(Evaluation evaluation)
    {
        // Indexed: a foreach over the IReadOnlyList would add the benchmark's own enumerator to the count.
        var length = 0;
        for (var i = 0; i < evaluation.Findings.Count; i++)
        {
            var finding = evaluation.Findings[i];
            length += finding.Code.Length + finding.Summary.Length + finding.Detail.Length + finding.Source.Length + finding.EvidenceIds.Count;
        }

        return length;
    }

    /// <summary>The findings each scenario produces, for the write-up (`-- --findings`).</summary>
    public static IEnumerable<string> DescribeFindings()
    {
        foreach (var events in new[] { 0, 10, 40 })
        {
            var benchmarks = new EvaluatorBenchmarks { Events = events };
            benchmarks.Setup();
            foreach (var (name, evaluation) in new[] { ("NewPrescription", benchmarks.NewPrescription()), ("Refill", benchmarks.Refill()), ("ClinicInPerson", benchmarks.ClinicInPerson()) })
            {
                yield return $"{events,2} events {name,-16} {evaluation.Outcome,-6} {string.Join(",", evaluation.Findings.Select(f => f.Code))}";
            }
        }
    }
}
