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
        var present = Contraindications.Where(context.Check.Patient.RiskFactors.Contains).ToArray();
        return present.Length == 0
            ? null
            : RuleHit.Of(
                "Contraindicated condition reported",
                $"Ketamine is contraindicated with {string.Join(", ", present)}, reported for this patient.");
    }
}
