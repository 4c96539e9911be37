using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>No more than 5 refills, and partial fills never beyond the quantity prescribed.</summary>
public sealed class RefillLimitExceededRule : IRule
{
    private const string MaxRefills = "maxRefills";

    // Quantities arrive as doubles; a sum that equals the authorised total must not trip the rule.
    private const double Tolerance = 1e-9;

    public string Code => "REFILL_LIMIT_EXCEEDED";

    // 21 CFR 1306.22(a) allows at most 5 refills; an operator may only lower that.
    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxRefills, 0, 5)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var target = context.RefillTarget;
        if (target is null)
        {
            return null;
        }

        var dispenses = context.DispensesOf(target).ToArray();
        // Partial fills of one refill share its fill number (21 CFR 1306.23): count refills, not fills.
        var refillsDone = dispenses.Where(d => d.FillNumber >= 1).Select(d => d.FillNumber).Distinct().Count();
        // The prescriber's own authorisation caps the refills below the legal limit.
        var allowedRefills = Math.Min(settings.IntParameter(MaxRefills), target.Medication.RefillsAuthorized);
        var tooManyRefills = refillsDone + 1 > allowedRefills;

        var dispensedMg = dispenses.Sum(d => d.TotalMg);
        var requestedMg = dispensedMg + context.Medication.TotalMg;
        var authorizedMg = target.Medication.TotalMg * (1 + target.Medication.RefillsAuthorized);
        var overQuantity = requestedMg > authorizedMg + Tolerance;

        if (!tooManyRefills && !overQuantity)
        {
            return null;
        }

        var reasons = new List<string>();
        if (tooManyRefills)
        {
            reasons.Add(Invariant($"This would be refill {refillsDone + 1} where {allowedRefills} are allowed ({target.Medication.RefillsAuthorized} authorised, policy limit {settings.IntParameter(MaxRefills)})"));
        }

        if (overQuantity)
        {
            reasons.Add(Invariant($"{dispensedMg:0.##} mg already dispensed plus {context.Medication.TotalMg:0.##} mg requested exceeds the {authorizedMg:0.##} mg prescribed including refills"));
        }

        var summary = tooManyRefills
            ? "Refill limit of the prescription is exhausted"
            : "Fills would exceed the total quantity prescribed";
        return new RuleHit(
            summary,
            string.Join("; and ", reasons) + ".",
            [RuleContext.Evidence(target), .. dispenses.Select(RuleContext.Evidence)]);
    }
}
