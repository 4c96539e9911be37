using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Opioids, benzodiazepines and buprenorphine add to ketamine's sedation and breathing risk.</summary>
public sealed class ConcurrentCnsDepressantRule : IRule
{
    public string Code => "CONCURRENT_CNS_DEPRESSANT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var depressants = context.Prescriptions
            .Where(p => p.Medication.DrugClass.IsCnsDepressant() && context.IsActive(p))
            .ToArray();
        if (depressants.Length == 0)
        {
            return null;
        }

        var classes = string.Join(", ", depressants.Select(p => p.Medication.DrugClass).Distinct().Order());
        return new RuleHit(
            $"Active CNS depressant prescription: {classes}",
            Invariant($"{depressants.Length} active prescription(s) of {classes} on record; combined with ketamine they deepen sedation and depress breathing."),
            depressants.Select(RuleContext.Evidence).ToArray());
    }
}
