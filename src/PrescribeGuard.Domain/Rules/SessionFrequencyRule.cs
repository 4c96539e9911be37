using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Even induction courses give at most 2-3 sessions a week; more suggests overuse.</summary>
public sealed class SessionFrequencyRule : IRule
{
    private const string WindowDays = "windowDays";
    private const string MaxSessions = "maxSessions";

    // Planned sessions are a ratio of doubles; a regimen exactly at the limit must not trip it.
    private const double Tolerance = 1e-9;

    public string Code => "SESSION_FREQUENCY";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(WindowDays, 1, 90), new(MaxSessions, 1, 100)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var windowDays = settings.Parameter(WindowDays);
        var maxSessions = settings.IntParameter(MaxSessions);
        var medication = context.Medication;

        if (medication.Setting == AdministrationSetting.ClinicAdministered)
        {
            var since = context.Now - settings.Days(WindowDays);
            var recent = context.SupervisedAdministrations.Where(e => e.OccurredAt > since).ToArray();
            var sessions = recent.Length + 1;
            return sessions > maxSessions
                ? new RuleHit(
                    Invariant($"{sessions} administrations within {windowDays:0.##} days, above {maxSessions}"),
                    Invariant($"{recent.Length} supervised administration(s) in the last {windowDays:0.##} days plus this one make {sessions}; at most {maxSessions} are expected."),
                    recent.Select(RuleContext.Evidence).ToArray())
                : null;
        }

        // A home regimen is judged by the pace it plans: doses in the supply spread over its days.
        if (medication.DoseMg <= 0 || medication.DaysSupply <= 0)
        {
            return null;
        }

        var planned = medication.TotalMg / medication.DoseMg / medication.DaysSupply * windowDays;
        return planned > maxSessions + Tolerance
            ? RuleHit.Of(
                Invariant($"Home regimen plans {planned:0.#} sessions per {windowDays:0.##} days, above {maxSessions}"),
                Invariant($"{medication.TotalMg:0.##} mg in {medication.DoseMg:0.##} mg doses over {medication.DaysSupply} days is {planned:0.##} sessions per {windowDays:0.##} days; at most {maxSessions} are expected."))
            : null;
    }
}
