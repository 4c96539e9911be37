using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Before any in-person evaluation, a telemedicine prescription should cover only a short supply.</summary>
public sealed class TelemedicineSupplyLimitRule : IRule
{
    private const string MaxDaysSupply = "maxDaysSupply";

    public string Code => "TELEMEDICINE_SUPPLY_LIMIT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxDaysSupply, 1, 365)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        if (!context.Check.IsTelemedicine || context.InPersonEvaluations.Count > 0)
        {
            return null;
        }

        var maxDaysSupply = settings.IntParameter(MaxDaysSupply);
        var daysSupply = context.Medication.DaysSupply;
        return daysSupply > maxDaysSupply
            ? RuleHit.Of(
                Invariant($"{daysSupply}-day supply by telemedicine before any in-person evaluation"),
                Invariant($"With no in-person evaluation on record, a telemedicine prescription should cover at most {maxDaysSupply} days; this one covers {daysSupply}."))
            : null;
    }
}
