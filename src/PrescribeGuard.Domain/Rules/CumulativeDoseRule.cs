using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Home-use ketamine collected across platforms adds up: the milligrams dispensed or prescribed in
/// the window, pending ones and this request together must stay under a ceiling.
/// </summary>
public sealed class CumulativeDoseRule : IRule
{
    private const string WindowDays = "windowDays";
    private const string MaxTotalMg = "maxTotalMg";

    public string Code => "CUMULATIVE_DOSE";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(WindowDays, 1, 365), new(MaxTotalMg, 1, 100_000)];

    private static bool IsHomeKetamine(Medication medication) =>
        medication.IsHomeUse && medication.DrugClass.IsKetamine();

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        if (!IsHomeKetamine(context.Medication))
        {
            return null;
        }

        var since = context.Now - settings.Days(WindowDays);
        var evidence = new List<EvidenceRef>();
        var totalMg = 0.0;

        foreach (var prescription in context.Prescriptions.Where(p => IsHomeKetamine(p.Medication)))
        {
            var dispensed = context.DispensesOf(prescription).Where(d => d.DispensedAt >= since).ToArray();
            if (dispensed.Length > 0)
            {
                totalMg += dispensed.Sum(d => d.TotalMg);
                evidence.Add(RuleContext.Evidence(prescription));
                evidence.AddRange(dispensed.Select(RuleContext.Evidence));
            }
            else if (prescription.IssuedAt >= since && !context.IsRefillTarget(prescription))
            {
                // An unfilled prescription still counts as intended supply; a refill target's pending
                // fill is this request itself, counted below.
                totalMg += prescription.Medication.TotalMg;
                evidence.Add(RuleContext.Evidence(prescription));
            }
        }

        // A fill whose prescription never reached the guard (e.g. from PDMP data) still went to the patient.
        var orphans = context.Dispenses
            .Where(d => d.DispensedAt >= since && !context.Prescriptions.Any(p => p.PlatformId == d.PlatformId && p.PrescriptionId == d.PrescriptionId))
            .ToArray();
        totalMg += orphans.Sum(d => d.TotalMg);
        evidence.AddRange(orphans.Select(RuleContext.Evidence));

        var reservations = context.PendingReservations.Where(r => IsHomeKetamine(r.Medication)).ToArray();
        totalMg += reservations.Sum(r => r.Medication.TotalMg);
        evidence.AddRange(reservations.Select(RuleContext.Evidence));

        totalMg += context.Medication.TotalMg;
        var maxTotalMg = settings.Parameter(MaxTotalMg);
        if (totalMg <= maxTotalMg)
        {
            return null;
        }

        var windowDays = settings.Parameter(WindowDays);
        return new RuleHit(
            Invariant($"{totalMg:0.##} mg of home-use ketamine within {windowDays:0.##} days, above {maxTotalMg:0.##} mg"),
            Invariant($"Ketamine dispensed, prescribed or pending for home use in the last {windowDays:0.##} days, with this request's {context.Medication.TotalMg:0.##} mg, totals {totalMg:0.##} mg; the ceiling is {maxTotalMg:0.##} mg."),
            evidence);
    }
}
