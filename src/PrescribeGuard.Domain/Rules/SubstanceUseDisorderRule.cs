using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Ketamine has abuse potential; unobserved home use magnifies the risk for these patients.</summary>
public sealed class SubstanceUseDisorderRule : IRule
{
    public string Code => "SUBSTANCE_USE_DISORDER";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.Check.Patient.RiskFactors.Contains(RiskFactor.SubstanceUseDisorder)
            ? RuleHit.Of(
                "Substance use disorder history reported",
                context.IsHomeUse
                    ? "A history of substance use disorder is reported and the ketamine would be used at home, without observation."
                    : "A history of substance use disorder is reported; ketamine has abuse potential.",
                homeUse: context.IsHomeUse)
            : null;
}
