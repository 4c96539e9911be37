using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Before any in-person evaluation, a telemedicine prescription should cover only a short supply.</summary>
public sealed class TelemedicineSupplyLimitRule : IRule
{
    private const string MaxDaysSupply = "maxDaysSupply";

    public string Code => "TELEMEDICINE_SUPPLY_LIMIT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxDaysSupply, 1, 365)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        if (!context.Check.IsTelemedicine || !context.InPersonEvaluations.IsEmpty)
        {
            return null;
        }

        var maxDaysSupply = settings.IntParameter(MaxDaysSupply);
        var daysSupply = context.Medication.DaysSupply;
        return daysSupply > maxDaysSupply
            ? RuleHit.Deferred(
                (DaysSupply: daysSupply, MaxDaysSupply: maxDaysSupply),
                static s => string.Create(InvariantCulture, $"{s.DaysSupply}-day supply by telemedicine before any in-person evaluation"),
                static s => string.Create(InvariantCulture, $"With no in-person evaluation on record, a telemedicine prescription should cover at most {s.MaxDaysSupply} days; this one covers {s.DaysSupply}."))
            : null;
    }
}
