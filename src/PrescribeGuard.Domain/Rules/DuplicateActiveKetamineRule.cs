using PrescribeGuard.Domain.History;
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
        List<PrescriptionEntry>? prescriptions = null;
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.Medication.DrugClass.IsKetamine() && !context.IsRefillTarget(prescription) && context.IsActive(prescription))
            {
                (prescriptions ??= []).Add(prescription);
            }
        }

        List<ReservationEntry>? reservations = null;
        foreach (var reservation in context.PendingReservations)
        {
            if (reservation.Medication.DrugClass.IsKetamine())
            {
                (reservations ??= []).Add(reservation);
            }
        }

        if (prescriptions is null && reservations is null)
        {
            return null;
        }

        prescriptions ??= [];
        reservations ??= [];
        var platforms = prescriptions.Select(p => p.PlatformId)
            .Concat(reservations.Select(r => r.PlatformId))
            .Distinct(StringComparer.Ordinal)
            .Count();
        // How recent, without ids: another platform's records are told of, never named.
        var recency = prescriptions.Count == 0
            ? string.Empty
            : Invariant($" The latest was issued {Math.Max(0, (int)(context.Now - prescriptions.Max(p => p.IssuedAt)).TotalDays)} day(s) ago; supply lasts until {prescriptions.Max(context.ActiveUntil):yyyy-MM-dd}.");
        return new RuleHit(
            "Another ketamine prescription is active or pending for this patient",
            Invariant($"{prescriptions.Count} active ketamine prescription(s) and {reservations.Count} pending reservation(s) on {platforms} platform(s) overlap this request.") + recency,
            [.. prescriptions.Select(RuleContext.Evidence), .. reservations.Select(RuleContext.Evidence)]);
    }
}
