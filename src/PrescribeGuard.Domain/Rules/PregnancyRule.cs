using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Ketamine may harm a fetus and passes into breast milk.</summary>
public sealed class PregnancyRule : IRule
{
    public string Code => "PREGNANCY";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.Check.Patient.RiskFactors.Contains(RiskFactor.PregnantOrBreastfeeding)
            ? RuleHit.Of(
                "Pregnant or breastfeeding reported",
                "The patient is reported pregnant or breastfeeding; ketamine is not recommended in pregnancy or lactation.")
            : null;
}
