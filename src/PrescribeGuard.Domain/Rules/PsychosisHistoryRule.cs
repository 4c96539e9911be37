using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Ketamine's dissociative effects can precipitate or worsen psychosis.</summary>
public sealed class PsychosisHistoryRule : IRule
{
    public string Code => "PSYCHOSIS_HISTORY";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.Check.Patient.RiskFactors.Contains(RiskFactor.PsychosisHistory)
            ? RuleHit.Of(
                "Psychotic disorder history reported",
                context.IsHomeUse
                    ? "A psychotic disorder is reported and the ketamine would be used at home, where dissociation goes unobserved."
                    : "A psychotic disorder is reported; ketamine may precipitate or worsen psychosis.",
                homeUse: context.IsHomeUse)
            : null;
}
