using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

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

        // The first of the latest evaluations, as MaxBy did.
        EncounterEntry? latest = null;
        foreach (var evaluation in context.InPersonEvaluations)
        {
            if (latest is null || evaluation.OccurredAt > latest.OccurredAt)
            {
                latest = evaluation;
            }
        }

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

        return RuleHit.Deferred(
            new Age(maxAgeMonths, (context.Now - latest.OccurredAt).TotalDays),
            static a => string.Create(InvariantCulture, $"Latest in-person evaluation is older than {a.MaxAgeMonths} months"),
            static a => string.Create(InvariantCulture, $"The most recent in-person evaluation on record was {a.AgeDays:0} days ago; one within {a.MaxAgeMonths} months is expected for telemedicine prescribing."),
            context.EvidenceOf(RuleContext.Evidence(latest)));
    }

    private readonly record struct Age(int MaxAgeMonths, double AgeDays);
}
