using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A refill more than a few days before the previous fill's supply runs out suggests overuse.</summary>
public sealed class RefillTooEarlyRule : IRule
{
    private const string MaxDaysEarly = "maxDaysEarly";

    public string Code => "REFILL_TOO_EARLY";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxDaysEarly, 0, 30)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var target = context.RefillTarget;
        var latest = target is null ? null : context.LatestDispenseOf(target);
        if (target is null || latest is null)
        {
            return null;
        }

        // What earlier fills left over counts: a run of early refills must not reset the clock each time.
        var supplyEnd = context.SuppliedUntil(target);
        var daysSupply = (supplyEnd - latest.DispensedAt).TotalDays;
        var early = supplyEnd - context.Now;
        var maxDaysEarly = settings.Parameter(MaxDaysEarly);
        if (early <= TimeSpan.FromDays(maxDaysEarly))
        {
            return null;
        }

        return RuleHit.Deferred(
            new Earliness(early.TotalDays, daysSupply, supplyEnd, maxDaysEarly, context.CarriesSupplyForward(target)),
            static e => string.Create(InvariantCulture, $"Refill requested {e.DaysEarly:0.#} days before the previous supply runs out"),
            static e => e.CarriedForward
                ? string.Create(InvariantCulture, $"The last fill's supply, with what earlier fills left, lasts {e.DaysSupply:0.##} days from it, until {e.SupplyEnd.UtcDateTime:yyyy-MM-dd HH:mm}Z, {e.DaysEarly:0.##} days from now; refills are allowed at most {e.MaxDaysEarly:0.##} days early.")
                : string.Create(InvariantCulture, $"The last fill's {e.DaysSupply:0.##}-day supply lasts until {e.SupplyEnd.UtcDateTime:yyyy-MM-dd HH:mm}Z, {e.DaysEarly:0.##} days from now; refills are allowed at most {e.MaxDaysEarly:0.##} days early."),
            context.EvidenceOf(RuleContext.Evidence(target), RuleContext.Evidence(latest)));
    }

    private readonly record struct Earliness(double DaysEarly, double DaysSupply, DateTimeOffset SupplyEnd, double MaxDaysEarly, bool CarriedForward);
}
