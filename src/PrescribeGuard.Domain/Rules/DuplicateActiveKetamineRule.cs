using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// Two ketamine supplies at once, from any platform, is the pattern the shared guard exists to
/// catch; pending reservations count so that two simultaneous requests cannot both pass.
/// </summary>
public sealed class DuplicateActiveKetamineRule : IRule
{
    public string Code => "DUPLICATE_ACTIVE_KETAMINE";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        // A refill continues its own prescription rather than duplicating it.
        var prescriptions = context.Prescriptions
            .Where(p => p.Medication.DrugClass.IsKetamine() && context.IsActive(p) && !context.IsRefillTarget(p))
            .ToArray();
        var reservations = context.PendingReservations
            .Where(r => r.Medication.DrugClass.IsKetamine())
            .ToArray();
        if (prescriptions.Length == 0 && reservations.Length == 0)
        {
            return null;
        }

        var platforms = prescriptions.Select(p => p.PlatformId)
            .Concat(reservations.Select(r => r.PlatformId))
            .Distinct(StringComparer.Ordinal)
            .Count();
        return new RuleHit(
            "Another ketamine prescription is active or pending for this patient",
            Invariant($"{prescriptions.Length} active ketamine prescription(s) and {reservations.Length} pending reservation(s) on {platforms} platform(s) overlap this request."),
            [.. prescriptions.Select(RuleContext.Evidence), .. reservations.Select(RuleContext.Evidence)]);
    }
}
