using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Opioids, benzodiazepines and buprenorphine add to ketamine's sedation and breathing risk.</summary>
public sealed class ConcurrentCnsDepressantRule : IRule
{
    public string Code => "CONCURRENT_CNS_DEPRESSANT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        using var evidence = context.CollectEvidence();
        var count = 0;
        var classes = 0; // a bit per DrugClass
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.Medication.DrugClass.IsCnsDepressant() && context.IsActive(prescription))
            {
                count++;
                classes |= 1 << (int)prescription.Medication.DrugClass;
                evidence.Add(RuleContext.Evidence(prescription));
            }
        }

        if (count == 0)
        {
            return null;
        }

        return RuleHit.Deferred(
            (Count: count, Classes: classes),
            static d => $"Active CNS depressant prescription: {ClassList(d.Classes)}",
            static d => string.Create(InvariantCulture, $"{d.Count} active prescription(s) of {ClassList(d.Classes)} on record; combined with ketamine they deepen sedation and depress breathing."),
            evidence.ToEvidence());
    }

    /// <summary>The drug classes of the bit set, in enum order.</summary>
    private static string ClassList(int classes)
    {
        var names = new List<string>();
        foreach (var drugClass in Enum.GetValues<DrugClass>())
        {
            if ((classes & (1 << (int)drugClass)) != 0)
            {
                names.Add(drugClass.ToString());
            }
        }

        return string.Join(", ", names);
    }
}
