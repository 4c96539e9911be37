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

        var maxAgeMonths = settings.IntParameter(MaxAgeMonths);
        var expiresAt = target.IssuedAt.AddMonths(maxAgeMonths);
        if (context.Now <= expiresAt)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Expiry(maxAgeMonths, target.IssuedAt, expiresAt),
            static e => string.Create(InvariantCulture, $"Prescription was issued more than {e.MaxAgeMonths} months ago and can no longer be refilled"),
            static e => string.Create(InvariantCulture, $"The prescription was issued on {e.IssuedAt.UtcDateTime:yyyy-MM-dd}; fills and refills are allowed only until {e.ExpiresAt.UtcDateTime:yyyy-MM-dd}, {e.MaxAgeMonths} months later."),
            context.EvidenceOf(RuleContext.Evidence(target)));
    }

    private readonly record struct Expiry(int MaxAgeMonths, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);
}
