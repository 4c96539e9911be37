using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A Schedule III-IV prescription may not be filled or refilled more than 6 months after issue.</summary>
public sealed class RefillAfterSixMonthsRule : IRule
{
    private const string MaxAgeMonths = "maxAgeMonths";

    public string Code => "REFILL_AFTER_SIX_MONTHS";

    // 21 CFR 1306.22(a) is a ceiling: an operator may be stricter, never looser.
    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxAgeMonths, 1, 6)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var target = context.RefillTarget;
        if (target is null)
        {
            return null;
        }

        var maxAgeMonths = settings.IntParameter(MaxAgeMonths);
        var expiresAt = target.IssuedAt.AddMonths(maxAgeMonths);
        if (context.Now <= expiresAt)
        {
            return null;
        }

        return new RuleHit(
            Invariant($"Prescription was issued more than {maxAgeMonths} months ago and can no longer be refilled"),
            Invariant($"The prescription was issued on {target.IssuedAt.UtcDateTime:yyyy-MM-dd}; fills and refills are allowed only until {expiresAt.UtcDateTime:yyyy-MM-dd}, {maxAgeMonths} months later."),
            [RuleContext.Evidence(target)]);
    }
}
