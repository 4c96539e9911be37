using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Ketamine raises blood pressure and heart rate, which heart and brain vessel disease tolerate badly.</summary>
public sealed class CardiovascularDiseaseRule : IRule
{
    public string Code => "CARDIOVASCULAR_DISEASE";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.Check.Patient.RiskFactors.Contains(RiskFactor.CardiovascularDisease)
            ? RuleHit.Of(
                "Cardiovascular or cerebrovascular disease reported",
                context.IsHomeUse
                    ? "Cardiovascular or cerebrovascular disease is reported and the ketamine would be used at home, without blood pressure monitoring by a clinician."
                    : "Cardiovascular or cerebrovascular disease is reported; ketamine raises blood pressure and heart rate.",
                homeUse: context.IsHomeUse)
            : null;
}
