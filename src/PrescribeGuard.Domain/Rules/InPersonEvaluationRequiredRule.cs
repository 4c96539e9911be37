using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Once the DEA telemedicine flexibilities end, tele-prescribing a controlled substance needs a prior
/// in-person evaluation by the prescriber, or a covering colleague's within the last 24 months.
/// </summary>
public sealed class InPersonEvaluationRequiredRule : IRule
{
    private const string CoveringEvaluationMonths = "coveringEvaluationMonths";

    public string Code => "IN_PERSON_EVALUATION_REQUIRED";

    // 21 USC 802(54) accepts a covering practitioner's evaluation only within 24 months.
    public IReadOnlyList<RuleParameter> Parameters { get; } = [new(CoveringEvaluationMonths, 0, 24)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var check = context.Check;
        // The flexibilities run through their last day in the patient's own calendar: on the
        // afternoon of that day in California it is already the next day in UTC.
        if (!check.IsTelemedicine || context.Today <= context.Policy.TelemedicineFlexibilityLastDay)
        {
            return null;
        }

        var months = settings.IntParameter(CoveringEvaluationMonths);
        var coveringSince = context.Now.AddMonths(-months);
        foreach (var evaluation in context.InPersonEvaluations)
        {
            if (evaluation.ClinicianNpi == check.Prescriber.Npi || evaluation.OccurredAt >= coveringSince)
            {
                return null;
            }
        }

        return RuleHit.Deferred(
            (LastDay: context.Policy.TelemedicineFlexibilityLastDay, Months: months),
            static _ => "Telemedicine prescribing needs a prior in-person evaluation",
            static d => string.Create(InvariantCulture, $"The telemedicine flexibilities ended after {d.LastDay:yyyy-MM-dd}; no in-person evaluation by the prescriber, nor by another clinician in the last {d.Months} months, is on record."));
    }
}
