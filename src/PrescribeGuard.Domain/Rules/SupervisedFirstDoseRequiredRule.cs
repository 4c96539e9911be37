using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A first dose under supervision shows how the patient reacts before anyone doses at home.</summary>
public sealed class SupervisedFirstDoseRequiredRule : IRule
{
    public string Code => "SUPERVISED_FIRST_DOSE_REQUIRED";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.IsHomeUse && context.SupervisedAdministrations.IsEmpty
            ? RuleHit.Of(
                "Home-use regimen with no supervised administration on record",
                "No supervised, monitored administration of the patient is on record on any platform; a first dose under observation is expected before home use.")
            : null;
}
