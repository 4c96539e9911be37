using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Ketamine raises blood pressure, so a high latest reading needs attention; home use without a
/// recent reading means nobody knows the patient's baseline.
/// </summary>
public sealed class BloodPressureRule : IRule
{
    private const string AlertSystolic = "alertSystolic";
    private const string AlertDiastolic = "alertDiastolic";
    private const string HomeUseMaxReadingAgeDays = "homeUseMaxReadingAgeDays";

    public string Code => "BLOOD_PRESSURE";

    public IReadOnlyList<RuleParameter> Parameters { get; } =
        [new(AlertSystolic, 80, 250), new(AlertDiastolic, 40, 150), new(HomeUseMaxReadingAgeDays, 1, 365)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        // The platform's own latest reading competes with readings taken at any recorded encounter.
        var recentSince = context.Now - settings.Days(HomeUseMaxReadingAgeDays);
        Reading? latest = null;
        var anyRecent = false;
        foreach (var recorded in context.Encounters)
        {
            if (recorded.BloodPressure is { } measured && context.IsVisible(measured.MeasuredAt))
            {
                Consider(new Reading(measured, recorded), ref latest, ref anyRecent, recentSince);
            }
        }

        if (context.Check.Patient.LatestBloodPressure is { } reported && context.IsVisible(reported.MeasuredAt))
        {
            Consider(new Reading(reported, null), ref latest, ref anyRecent, recentSince);
        }

        var alertSystolic = settings.IntParameter(AlertSystolic);
        var alertDiastolic = settings.IntParameter(AlertDiastolic);
        var elevated = latest is { Value: var bp } && (bp.Systolic >= alertSystolic || bp.Diastolic >= alertDiastolic);
        var uncontrolled = context.Check.Patient.RiskFactors.Contains(RiskFactor.UncontrolledHypertension);
        var maxAgeDays = settings.Parameter(HomeUseMaxReadingAgeDays);
        var missingRecent = context.IsHomeUse && !anyRecent;
        if (!elevated && !uncontrolled && !missingRecent)
        {
            return null;
        }

        var reasons = new List<string>();
        if (elevated)
        {
            var reading = latest!.Value.Value;
            reasons.Add(Invariant($"The latest reading, {reading.Systolic}/{reading.Diastolic} mmHg, is at or above {alertSystolic}/{alertDiastolic}."));
        }

        if (uncontrolled)
        {
            reasons.Add("Uncontrolled hypertension is reported.");
        }

        if (missingRecent)
        {
            reasons.Add(Invariant($"No reading from the last {maxAgeDays:0.##} days is on record for home use."));
        }

        var summary = elevated ? Invariant($"Latest blood pressure is at or above {alertSystolic}/{alertDiastolic} mmHg")
            : uncontrolled ? "Uncontrolled hypertension reported"
            : "No recent blood pressure reading for home use";
        return new RuleHit(
            summary,
            string.Join(" ", reasons),
            latest?.Encounter is { } encounter ? [RuleContext.Evidence(encounter)] : []);
    }

    /// <summary>Keeps the first of the latest readings, as MaxBy did.</summary>
    private static void Consider(Reading reading, ref Reading? latest, ref bool anyRecent, DateTimeOffset recentSince)
    {
        if (latest is null || reading.Value.MeasuredAt > latest.Value.Value.MeasuredAt)
        {
            latest = reading;
        }

        anyRecent |= reading.Value.MeasuredAt >= recentSince;
    }

    private readonly record struct Reading(BloodPressure Value, EncounterEntry? Encounter);
}
