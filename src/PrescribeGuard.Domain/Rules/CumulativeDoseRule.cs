using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

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
        // Collected while summing, before knowing whether the rule fires: the collector is pooled and
        // keeps only the caller's ids, so a check under the ceiling allocates nothing for it.
        using var evidence = context.CollectEvidence();
        var totalMg = 0.0;

        foreach (var prescription in context.Prescriptions)
        {
            if (!IsHomeKetamine(prescription.Medication))
            {
                continue;
            }

            var filled = false;
            var dispensedMg = 0.0;
            foreach (var dispense in context.Dispenses)
            {
                if (dispense.DispensedAt >= since && RuleContext.IsOf(dispense, prescription))
                {
                    if (!filled)
                    {
                        evidence.Add(RuleContext.Evidence(prescription));
                        filled = true;
                    }

                    dispensedMg += dispense.TotalMg;
                    evidence.Add(RuleContext.Evidence(dispense));
                }
            }

            // A prescription issued in the window counts at least as prescribed: what a pharmacy has not
            // yet dispensed of it (a partial fill, 21 CFR 1306.23, or none) can still be. A refill
            // target's next fill is this request itself, counted below.
            if (prescription.IssuedAt >= since && !context.IsRefillTarget(prescription))
            {
                totalMg += Math.Max(dispensedMg, prescription.Medication.TotalMg);
                if (!filled)
                {
                    evidence.Add(RuleContext.Evidence(prescription));
                }
            }
            else
            {
                totalMg += dispensedMg;
            }
        }

        // A fill whose prescription never reached the guard (e.g. from PDMP data) still went to the patient.
        foreach (var dispense in context.Dispenses)
        {
            if (dispense.DispensedAt >= since && context.FindPrescription(dispense.PlatformId, dispense.PrescriptionId) is null)
            {
                totalMg += dispense.TotalMg;
                evidence.Add(RuleContext.Evidence(dispense));
            }
        }

        foreach (var reservation in context.PendingReservations)
        {
            if (IsHomeKetamine(reservation.Medication))
            {
                totalMg += reservation.Medication.TotalMg;
                evidence.Add(RuleContext.Evidence(reservation));
            }
        }

        totalMg += context.Medication.TotalMg;
        var maxTotalMg = settings.Parameter(MaxTotalMg);
        if (totalMg <= maxTotalMg)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Totals(totalMg, settings.Parameter(WindowDays), maxTotalMg, context.Medication.TotalMg),
            static t => string.Create(InvariantCulture, $"{t.TotalMg:0.##} mg of home-use ketamine within {t.WindowDays:0.##} days, above {t.MaxTotalMg:0.##} mg"),
            static t => string.Create(InvariantCulture, $"Ketamine dispensed, prescribed or pending for home use in the last {t.WindowDays:0.##} days, with this request's {t.RequestedMg:0.##} mg, totals {t.TotalMg:0.##} mg; the ceiling is {t.MaxTotalMg:0.##} mg."),
            evidence.ToEvidence());
    }

    private readonly record struct Totals(double TotalMg, double WindowDays, double MaxTotalMg, double RequestedMg);
}
