using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Sedation and dissociation need at least 2 hours of monitoring after a supervised dose.</summary>
public sealed class MonitoringTooShortRule : IRule
{
    private const string MinMonitoringMinutes = "minMonitoringMinutes";
    private const string LookbackDays = "lookbackDays";

    public string Code => "MONITORING_TOO_SHORT";

    public IReadOnlyList<RuleParameter> Parameters { get; } =
        [new(MinMonitoringMinutes, 1, 24 * 60), new(LookbackDays, 1, 3650)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var minMinutes = settings.IntParameter(MinMonitoringMinutes);
        var lookbackDays = settings.Parameter(LookbackDays);
        var since = context.Now - settings.Days(LookbackDays);
        var tooShort = context.SupervisedAdministrations
            .Where(e => e.OccurredAt >= since && e.MonitoringMinutes < minMinutes)
            .ToArray();
        if (tooShort.Length == 0)
        {
            return null;
        }

        var shortest = tooShort.Min(e => e.MonitoringMinutes);
        return new RuleHit(
            Invariant($"Supervised administration monitored for less than {minMinutes} minutes"),
            Invariant($"{tooShort.Length} supervised administration(s) in the last {lookbackDays:0.##} days were monitored for less than {minMinutes} minutes (shortest {shortest} minutes)."),
            tooShort.Select(RuleContext.Evidence).ToArray());
    }
}
