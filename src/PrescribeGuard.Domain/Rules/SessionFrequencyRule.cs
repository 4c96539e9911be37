using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

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
            using var evidence = context.CollectEvidence();
            var recent = 0;
            foreach (var administration in context.SupervisedAdministrations)
            {
                if (administration.OccurredAt > since)
                {
                    recent++;
                    evidence.Add(RuleContext.Evidence(administration));
                }
            }

            return recent + 1 > maxSessions
                ? RuleHit.Deferred(
                    new Sessions(recent, windowDays, maxSessions),
                    static s => string.Create(InvariantCulture, $"{s.Recent + 1} administrations within {s.WindowDays:0.##} days, above {s.MaxSessions}"),
                    static s => string.Create(InvariantCulture, $"{s.Recent} supervised administration(s) in the last {s.WindowDays:0.##} days plus this one make {s.Recent + 1}; at most {s.MaxSessions} are expected."),
                    evidence.ToEvidence())
                : null;
        }

        // A home regimen is judged by the pace it plans: doses in the supply spread over its days.
        if (medication.DoseMg <= 0 || medication.DaysSupply <= 0)
        {
            return null;
        }

        var planned = medication.TotalMg / medication.DoseMg / medication.DaysSupply * windowDays;
        return planned > maxSessions + Tolerance
            ? RuleHit.Deferred(
                new Regimen(planned, windowDays, maxSessions, medication.TotalMg, medication.DoseMg, medication.DaysSupply),
                static r => string.Create(InvariantCulture, $"Home regimen plans {r.Planned:0.#} sessions per {r.WindowDays:0.##} days, above {r.MaxSessions}"),
                static r => string.Create(InvariantCulture, $"{r.TotalMg:0.##} mg in {r.DoseMg:0.##} mg doses over {r.DaysSupply} days is {r.Planned:0.##} sessions per {r.WindowDays:0.##} days; at most {r.MaxSessions} are expected."))
            : null;
    }

    private readonly record struct Sessions(int Recent, double WindowDays, int MaxSessions);

    private readonly record struct Regimen(double Planned, double WindowDays, int MaxSessions, double TotalMg, double DoseMg, int DaysSupply);
}
