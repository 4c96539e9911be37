using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A Schedule III-IV prescription may not be filled or refilled more than 6 months after issue.</summary>
public sealed class RefillAfterSixMonthsRule : IRule
{
    private const string MaxAgeMonths = "maxAgeMonths";

    public string Code => "REFILL_AFTER_SIX_MONTHS";

    public string LegalLimit => "21 CFR 1306.22(a)";

    // 21 CFR 1306.22(a) is a ceiling: an operator may be stricter, never looser.
    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxAgeMonths, 1, 6)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var target = context.RefillTarget;
        if (target is null)
        {
            return null;
        }

        // "More than 6 months after the date it was issued": the last day a fill is allowed is the
        // issue date six months on, all of it, in the patient's calendar (not the instant).
        var maxAgeMonths = settings.IntParameter(MaxAgeMonths);
        var issuedOn = context.LocalDate(target.IssuedAt);
        var lastDay = issuedOn.AddMonths(maxAgeMonths);
        if (context.Today <= lastDay)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Expiry(maxAgeMonths, issuedOn, lastDay),
            static e => string.Create(InvariantCulture, $"Prescription was issued more than {e.MaxAgeMonths} months ago and can no longer be refilled"),
            static e => string.Create(InvariantCulture, $"The prescription was issued on {e.IssuedOn:yyyy-MM-dd}; fills and refills are allowed only until {e.LastDay:yyyy-MM-dd}, {e.MaxAgeMonths} months later."),
            context.EvidenceOf(RuleContext.Evidence(target)));
    }

    private readonly record struct Expiry(int MaxAgeMonths, DateOnly IssuedOn, DateOnly LastDay);
}
