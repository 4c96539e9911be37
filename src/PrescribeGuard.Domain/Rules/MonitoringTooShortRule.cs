using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

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
        using var evidence = context.CollectEvidence();
        var tooShort = 0;
        var shortest = int.MaxValue;
        foreach (var administration in context.SupervisedAdministrations)
        {
            if (administration.OccurredAt >= since && administration.MonitoringMinutes < minMinutes)
            {
                tooShort++;
                shortest = Math.Min(shortest, administration.MonitoringMinutes);
                evidence.Add(RuleContext.Evidence(administration));
            }
        }

        if (tooShort == 0)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Shortfall(tooShort, lookbackDays, minMinutes, shortest),
            static s => string.Create(InvariantCulture, $"Supervised administration monitored for less than {s.MinMinutes} minutes"),
            static s => string.Create(InvariantCulture, $"{s.Count} supervised administration(s) in the last {s.LookbackDays:0.##} days were monitored for less than {s.MinMinutes} minutes (shortest {s.Shortest} minutes)."),
            evidence.ToEvidence());
    }

    private readonly record struct Shortfall(int Count, double LookbackDays, int MinMinutes, int Shortest);
}
