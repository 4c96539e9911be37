using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The check, the patient's history and the queries over it that several rules share.
/// Records dated after <see cref="Now"/> are invisible, so a dry run "as of" a past date sees the
/// history as it stood then.
/// </summary>
public sealed class RuleContext
{
    public RuleContext(PrescriptionCheck check, PatientHistory history, GuardPolicy policy)
    {
        Check = check;
        Policy = policy;
        Now = check.EvaluatedAt;
        Prescriptions = history.Prescriptions.Where(p => p.IssuedAt <= Now).ToArray();
        Dispenses = history.Dispenses.Where(d => d.DispensedAt <= Now).ToArray();
        Encounters = history.Encounters.Where(e => e.OccurredAt <= Now).ToArray();
        PendingReservations = history.Reservations.Where(r => r.IsPendingAt(Now)).ToArray();
        RefillTarget = check.RefillOfPrescriptionId is { } refillOf
            ? Prescriptions.FirstOrDefault(p => p.PlatformId == check.PlatformId && p.PrescriptionId == refillOf)
            : null;
    }

    public PrescriptionCheck Check { get; }

    public GuardPolicy Policy { get; }

    public DateTimeOffset Now { get; }

    public IReadOnlyList<PrescriptionEntry> Prescriptions { get; }

    public IReadOnlyList<DispenseEntry> Dispenses { get; }

    public IReadOnlyList<EncounterEntry> Encounters { get; }

    /// <summary>Reservations neither confirmed, released nor expired at <see cref="Now"/>.</summary>
    public IReadOnlyList<ReservationEntry> PendingReservations { get; }

    /// <summary>The prescription a refill check is about, when it is on record.</summary>
    public PrescriptionEntry? RefillTarget { get; }

    public Medication Medication => Check.Medication;

    public bool IsHomeUse => Check.Medication.IsHomeUse;

    public IEnumerable<DispenseEntry> DispensesOf(PrescriptionEntry prescription) =>
        Dispenses.Where(d => d.PlatformId == prescription.PlatformId && d.PrescriptionId == prescription.PrescriptionId);

    public DispenseEntry? LatestDispenseOf(PrescriptionEntry prescription) =>
        DispensesOf(prescription).MaxBy(d => d.DispensedAt);

    /// <summary>
    /// A prescription is active until its latest fill (or, unfilled, its issue date) plus the days'
    /// supply of that fill (or of the prescription).
    /// </summary>
    public DateTimeOffset ActiveUntil(PrescriptionEntry prescription)
    {
        var latest = LatestDispenseOf(prescription);
        return latest is null
            ? prescription.IssuedAt.AddDays(prescription.Medication.DaysSupply)
            : latest.DispensedAt.AddDays(latest.DaysSupply > 0 ? latest.DaysSupply : prescription.Medication.DaysSupply);
    }

    public bool IsActive(PrescriptionEntry prescription) => ActiveUntil(prescription) > Now;

    public bool IsRefillTarget(PrescriptionEntry prescription) =>
        RefillTarget is not null &&
        prescription.PlatformId == RefillTarget.PlatformId &&
        prescription.PrescriptionId == RefillTarget.PrescriptionId;

    public IEnumerable<EncounterEntry> InPersonEvaluations =>
        Encounters.Where(e => e.Kind == EncounterKind.InPersonEvaluation);

    public IEnumerable<EncounterEntry> SupervisedAdministrations =>
        Encounters.Where(e => e.Kind == EncounterKind.SupervisedAdministration);

    public static EvidenceRef Evidence(PrescriptionEntry p) => new(p.PlatformId, p.PrescriptionId);

    public static EvidenceRef Evidence(DispenseEntry d) => new(d.PlatformId, d.DispenseId);

    public static EvidenceRef Evidence(EncounterEntry e) => new(e.PlatformId, e.EncounterId);

    public static EvidenceRef Evidence(ReservationEntry r) => new(r.PlatformId, r.DecisionId);
}
