using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Evaluation;

/// <summary>Any enforced CRITICAL denies, else any enforced WARNING asks for review, else allow.</summary>
public static class OutcomeMapping
{
    public static Outcome From(IEnumerable<Finding> findings) => From(findings.ToArray().AsSpan());

    /// <summary>The same, over a span: the evaluator's findings, walked without an enumerator.</summary>
    public static Outcome From(ReadOnlySpan<Finding> findings)
    {
        var outcome = Outcome.Allow;
        foreach (var finding in findings)
        {
            if (finding.Shadow)
            {
                continue;
            }

            if (finding.Severity == Severity.Critical)
            {
                return Outcome.Deny;
            }

            if (finding.Severity == Severity.Warning)
            {
                outcome = Outcome.Review;
            }
        }

        return outcome;
    }
}
