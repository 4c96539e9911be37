using PrescribeGuard.Domain.History;
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
        List<PrescriptionEntry>? depressants = null;
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.Medication.DrugClass.IsCnsDepressant() && context.IsActive(prescription))
            {
                (depressants ??= []).Add(prescription);
            }
        }

        if (depressants is null)
        {
            return null;
        }

        var classes = string.Join(", ", depressants.Select(p => p.Medication.DrugClass).Distinct().Order());
        return new RuleHit(
            $"Active CNS depressant prescription: {classes}",
            Invariant($"{depressants.Count} active prescription(s) of {classes} on record; combined with ketamine they deepen sedation and depress breathing."),
            depressants.Select(RuleContext.Evidence).ToArray());
    }
}
