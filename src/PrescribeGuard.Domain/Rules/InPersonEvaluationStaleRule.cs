using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>An old in-person evaluation no longer vouches for the patient's current condition.</summary>
public sealed class InPersonEvaluationStaleRule : IRule
{
    private const string MaxAgeMonths = "maxAgeMonths";

    public string Code => "IN_PERSON_EVALUATION_STALE";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxAgeMonths, 1, 120)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        if (!context.Check.IsTelemedicine)
        {
            return null;
        }

        var latest = context.InPersonEvaluations.MaxBy(e => e.OccurredAt);
        if (latest is null)
        {
            // Having none at all is IN_PERSON_EVALUATION_REQUIRED's concern.
            return null;
        }

        var maxAgeMonths = settings.IntParameter(MaxAgeMonths);
        if (latest.OccurredAt >= context.Now.AddMonths(-maxAgeMonths))
        {
            return null;
        }

        var ageDays = (context.Now - latest.OccurredAt).TotalDays;
        return new RuleHit(
            Invariant($"Latest in-person evaluation is older than {maxAgeMonths} months"),
            Invariant($"The most recent in-person evaluation on record was {ageDays:0} days ago; one within {maxAgeMonths} months is expected for telemedicine prescribing."),
            [RuleContext.Evidence(latest)]);
    }
}
