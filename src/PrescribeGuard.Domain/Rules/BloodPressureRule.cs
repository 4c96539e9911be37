using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

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

        var reading = latest?.Value;
        return RuleHit.Deferred(
            new Pressure(
                elevated, uncontrolled, missingRecent, reading?.Systolic ?? 0, reading?.Diastolic ?? 0, alertSystolic, alertDiastolic, maxAgeDays),
            static f => f.Elevated ? string.Create(InvariantCulture, $"Latest blood pressure is at or above {f.AlertSystolic}/{f.AlertDiastolic} mmHg")
                : f.Uncontrolled ? "Uncontrolled hypertension reported"
                : "No recent blood pressure reading for home use",
            Detail,
            latest?.Encounter is { } encounter ? context.EvidenceOf(RuleContext.Evidence(encounter)) : CallerEvidence.None);
    }

    private static string Detail(Pressure f)
    {
        var reasons = new List<string>(3);
        if (f.Elevated)
        {
            reasons.Add(string.Create(InvariantCulture, $"The latest reading, {f.Systolic}/{f.Diastolic} mmHg, is at or above {f.AlertSystolic}/{f.AlertDiastolic}."));
        }

        if (f.Uncontrolled)
        {
            reasons.Add("Uncontrolled hypertension is reported.");
        }

        if (f.MissingRecent)
        {
            reasons.Add(string.Create(InvariantCulture, $"No reading from the last {f.MaxAgeDays:0.##} days is on record for home use."));
        }

        return string.Join(" ", reasons);
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

    private readonly record struct Pressure(
        bool Elevated, bool Uncontrolled, bool MissingRecent, int Systolic, int Diastolic, int AlertSystolic, int AlertDiastolic, double MaxAgeDays);
}
