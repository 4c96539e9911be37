using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A blood pressure surge can rupture an aneurysm or malformation, or rebleed a haemorrhage.</summary>
public sealed class ContraindicatedConditionRule : IRule
{
    private static readonly RiskFactor[] Contraindications =
    [
        RiskFactor.AneurysmalVascularDisease,
        RiskFactor.ArteriovenousMalformation,
        RiskFactor.IntracerebralHemorrhage,
    ];

    public string Code => "CONTRAINDICATED_CONDITION";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var present = 0; // a bit per entry of Contraindications
        for (var i = 0; i < Contraindications.Length; i++)
        {
            if (context.Check.Patient.RiskFactors.Contains(Contraindications[i]))
            {
                present |= 1 << i;
            }
        }

        return present == 0
            ? null
            : RuleHit.Deferred(
                present,
                static _ => "Contraindicated condition reported",
                static p => $"Ketamine is contraindicated with {ConditionList(p)}, reported for this patient.");
    }

    private static string ConditionList(int present)
    {
        var names = new List<string>(Contraindications.Length);
        for (var i = 0; i < Contraindications.Length; i++)
        {
            if ((present & (1 << i)) != 0)
            {
                names.Add(Contraindications[i].ToString());
            }
        }

        return string.Join(", ", names);
    }
}
