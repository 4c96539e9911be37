using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

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
        using var evidence = context.CollectEvidence();
        var platforms = DistinctCount.Rent();
        var prescriptions = 0;
        var latestIssuedAt = DateTimeOffset.MinValue;
        var suppliedUntil = DateTimeOffset.MinValue;
        foreach (var prescription in context.Prescriptions)
        {
            // A refill continues its own prescription rather than duplicating it.
            if (prescription.Medication.DrugClass.IsKetamine() && !context.IsRefillTarget(prescription) && context.IsActive(prescription))
            {
                prescriptions++;
                platforms.Add(prescription.PlatformId);
                evidence.Add(RuleContext.Evidence(prescription));
                latestIssuedAt = prescription.IssuedAt > latestIssuedAt ? prescription.IssuedAt : latestIssuedAt;
                // The first of equal instants is kept (as Max did): its offset decides the date shown.
                var activeUntil = context.ActiveUntil(prescription);
                suppliedUntil = prescriptions == 1 || activeUntil > suppliedUntil ? activeUntil : suppliedUntil;
            }
        }

        var reservations = 0;
        foreach (var reservation in context.PendingReservations)
        {
            if (reservation.Medication.DrugClass.IsKetamine())
            {
                reservations++;
                platforms.Add(reservation.PlatformId);
                evidence.Add(RuleContext.Evidence(reservation));
            }
        }

        var platformCount = DistinctCount.Return(platforms);
        if (prescriptions == 0 && reservations == 0)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Overlap(prescriptions, reservations, platformCount, Math.Max(0, (int)(context.Now - latestIssuedAt).TotalDays), suppliedUntil),
            static _ => "Another ketamine prescription is active or pending for this patient",
            static o => o.Prescriptions == 0
                ? string.Create(InvariantCulture, $"{o.Prescriptions} active ketamine prescription(s) and {o.Reservations} pending reservation(s) on {o.Platforms} platform(s) overlap this request.")
                // How recent, without ids: another platform's records are told of, never named.
                : string.Create(InvariantCulture, $"{o.Prescriptions} active ketamine prescription(s) and {o.Reservations} pending reservation(s) on {o.Platforms} platform(s) overlap this request. The latest was issued {o.LatestIssuedDaysAgo} day(s) ago; supply lasts until {o.SuppliedUntil:yyyy-MM-dd}."),
            evidence.ToEvidence());
    }

    private readonly record struct Overlap(int Prescriptions, int Reservations, int Platforms, int LatestIssuedDaysAgo, DateTimeOffset SuppliedUntil);
}
