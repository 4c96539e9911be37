using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>No more than 5 refills, and partial fills never beyond the quantity prescribed.</summary>
public sealed class RefillLimitExceededRule : IRule
{
    private const string MaxRefills = "maxRefills";

    // Quantities arrive as doubles; a sum that equals the authorised total must not trip the rule.
    private const double Tolerance = 1e-9;

    public string Code => "REFILL_LIMIT_EXCEEDED";

    public string LegalLimit => "21 CFR 1306.22(a)";

    // 21 CFR 1306.22(a) allows at most 5 refills; an operator may only lower that.
    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxRefills, 0, 5)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var target = context.RefillTarget;
        if (target is null)
        {
            return null;
        }

        using var evidence = context.CollectEvidence();
        evidence.Add(RuleContext.Evidence(target));
        var refillsDone = 0;
        var highestFillNumber = 0;
        var dispensedMg = 0.0;
        var dispenses = context.Dispenses;
        for (var i = 0; i < dispenses.Count; i++)
        {
            var dispense = dispenses[i];
            if (!RuleContext.IsOf(dispense, target))
            {
                continue;
            }

            // Partial fills of one refill share its fill number (21 CFR 1306.23): count refills, not fills.
            if (dispense.FillNumber >= 1 && !HasEarlierFill(dispenses, i, target))
            {
                refillsDone++;
            }

            highestFillNumber = Math.Max(highestFillNumber, dispense.FillNumber);
            dispensedMg += dispense.TotalMg;
            evidence.Add(RuleContext.Evidence(dispense));
        }

        // The pharmacy's refill number says how many refills came before, also those no platform
        // reported (a transfer, a fill it missed): refill 5 on record makes the next one the sixth.
        refillsDone = Math.Max(refillsDone, highestFillNumber);

        // The prescriber's own authorisation caps the refills below the legal limit.
        var maxRefills = settings.IntParameter(MaxRefills);
        var allowedRefills = Math.Min(maxRefills, target.Medication.RefillsAuthorized);
        var tooManyRefills = refillsDone + 1 > allowedRefills;

        // Only the refills that may be filled add to the quantity: twelve written are still five allowed.
        var authorizedMg = target.Medication.TotalMg * (1 + allowedRefills);
        var overQuantity = dispensedMg + context.Medication.TotalMg > authorizedMg + Tolerance;

        if (!tooManyRefills && !overQuantity)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Excess(
                tooManyRefills, refillsDone + 1, allowedRefills, target.Medication.RefillsAuthorized, maxRefills,
                overQuantity, dispensedMg, context.Medication.TotalMg, authorizedMg),
            static e => e.TooManyRefills
                ? "Refill limit of the prescription is exhausted"
                : "Fills would exceed the total quantity prescribed",
            Detail,
            evidence.ToEvidence());
    }

    /// <summary>Whether a fill of the same prescription before <paramref name="index"/> has the same fill number.</summary>
    private static bool HasEarlierFill(RecordList<DispenseEntry> dispenses, int index, PrescriptionEntry target)
    {
        var fillNumber = dispenses[index].FillNumber;
        for (var i = 0; i < index; i++)
        {
            if (dispenses[i].FillNumber == fillNumber && RuleContext.IsOf(dispenses[i], target))
            {
                return true;
            }
        }

        return false;
    }

    private static string Detail(Excess e)
    {
        var refills = e.TooManyRefills
            ? string.Create(InvariantCulture, $"This would be refill {e.Refill} where {e.AllowedRefills} are allowed ({e.RefillsAuthorized} authorised, policy limit {e.MaxRefills})")
            : null;
        var quantity = e.OverQuantity
            ? string.Create(InvariantCulture, $"{e.DispensedMg:0.##} mg already dispensed plus {e.RequestedMg:0.##} mg requested exceeds the {e.AuthorizedMg:0.##} mg prescribed including refills")
            : null;
        return refills is not null && quantity is not null ? $"{refills}; and {quantity}." : $"{refills ?? quantity}.";
    }

    private readonly record struct Excess(
        bool TooManyRefills,
        int Refill,
        int AllowedRefills,
        int RefillsAuthorized,
        int MaxRefills,
        bool OverQuantity,
        double DispensedMg,
        double RequestedMg,
        double AuthorizedMg);
}
