using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Before any in-person evaluation, a prescriber's telemedicine prescriptions together should cover
/// only a short supply: DEA's proposal caps "a 30-day supply across all such prescriptions", and a
/// prescription authorises its refills too, so a 28-day one with two refills is 84 days.
/// </summary>
public sealed class TelemedicineSupplyLimitRule : IRule
{
    private const string MaxDaysSupply = "maxDaysSupply";

    public string Code => "TELEMEDICINE_SUPPLY_LIMIT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(MaxDaysSupply, 1, 365)];

    // Refills beyond the five 21 CFR 1306.22 allows can never be filled.
    private static int AuthorizedDays(Medication medication) => medication.DaysSupply * (1 + Math.Min(medication.RefillsAuthorized, 5));

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        if (!context.Check.IsTelemedicine || !context.InPersonEvaluations.IsEmpty)
        {
            return null;
        }

        // A refill is judged by what its prescription authorised (or its own supply, if larger).
        var target = context.RefillTarget;
        var requestedDays = target is null
            ? AuthorizedDays(context.Medication)
            : Math.Max(AuthorizedDays(target.Medication), context.Medication.DaysSupply);
        var earlierDays = 0;
        using var evidence = context.CollectEvidence();
        if (target is not null)
        {
            evidence.Add(RuleContext.Evidence(target));
        }

        foreach (var prescription in context.Prescriptions)
        {
            // Home supply only: a clinic-administered dose is given under observation, not handed out.
            if (prescription.PrescriberNpi == context.Check.Prescriber.Npi && prescription.Medication.DrugClass.IsKetamine() &&
                prescription.Medication.IsHomeUse && !context.IsRefillTarget(prescription))
            {
                earlierDays += AuthorizedDays(prescription.Medication);
                evidence.Add(RuleContext.Evidence(prescription));
            }
        }

        var maxDaysSupply = settings.IntParameter(MaxDaysSupply);
        var totalDays = requestedDays + earlierDays;
        if (totalDays <= maxDaysSupply)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Supply(totalDays, maxDaysSupply, requestedDays, context.Medication.DaysSupply, context.Medication.RefillsAuthorized, target is not null, earlierDays),
            static s => string.Create(InvariantCulture, $"{s.TotalDays}-day supply by telemedicine before any in-person evaluation"),
            static s => Detail(s),
            evidence.ToEvidence());
    }

    private static string Detail(Supply s)
    {
        var limit = string.Create(InvariantCulture, $"With no in-person evaluation on record, a prescriber's telemedicine prescriptions should cover at most {s.MaxDaysSupply} days in all, refills included; ");
        var requested = s.IsRefill
            ? string.Create(InvariantCulture, $"the refilled prescription covers {s.RequestedDays}")
            : s.Refills == 0
                ? string.Create(InvariantCulture, $"this one covers {s.DaysSupply}")
                : string.Create(InvariantCulture, $"this one covers {s.DaysSupply} with {s.Refills} refill(s): {s.RequestedDays}");
        return s.EarlierDays == 0
            ? limit + requested + "."
            : limit + requested + string.Create(InvariantCulture, $", and the prescriber's other home-use ketamine prescriptions on record {s.EarlierDays}.");
    }

    private readonly record struct Supply(int TotalDays, int MaxDaysSupply, int RequestedDays, int DaysSupply, int Refills, bool IsRefill, int EarlierDays);
}
