using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The check, the patient's history and the queries over it that several rules share.
/// Records dated after <see cref="Now"/> (beyond the clock-skew tolerance) are invisible, so a dry
/// run "as of" a past date sees the history as it stood then. The shared queries are computed once per evaluation (the evaluator
/// runs every rule over the same context), without LINQ, because this is the guard's hot path.
/// </summary>
public sealed class RuleContext
{
    private DispenseEntry?[]? _latestDispenses;
    private EncounterEntry[]? _inPersonEvaluations;
    private EncounterEntry[]? _supervisedAdministrations;
    private ProviderWindow? _providerWindow;

    public RuleContext(PrescriptionCheck check, PatientHistory history, GuardPolicy policy)
    {
        Check = check;
        Policy = policy;
        Now = check.EvaluatedAt;
        Prescriptions = VisibleAt(history.Prescriptions, Now, static p => p.IssuedAt);
        Dispenses = VisibleAt(history.Dispenses, Now, static d => d.DispensedAt);
        Encounters = VisibleAt(history.Encounters, Now, static e => e.OccurredAt);
        PendingReservations = PendingAt(history.Reservations, Now);
        RefillTarget = check.RefillOfPrescriptionId is { } refillOf ? FindPrescription(check.PlatformId, refillOf) : null;
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

    /// <summary>Whether something dated <paramref name="at"/> counts now: up to the clock-skew tolerance ahead.</summary>
    public bool IsVisible(DateTimeOffset at) => at <= Now + ClockSkew.Tolerance;

    public bool IsHomeUse => Check.Medication.IsHomeUse;

    public IEnumerable<DispenseEntry> DispensesOf(PrescriptionEntry prescription)
    {
        foreach (var dispense in Dispenses)
        {
            if (IsOf(dispense, prescription))
            {
                yield return dispense;
            }
        }
    }

    public static bool IsOf(DispenseEntry dispense, PrescriptionEntry prescription) =>
        dispense.PrescriptionId == prescription.PrescriptionId && dispense.PlatformId == prescription.PlatformId;

    /// <summary>The prescription of this platform with this id, when it is visible.</summary>
    public PrescriptionEntry? FindPrescription(string platformId, string prescriptionId)
    {
        foreach (var prescription in Prescriptions)
        {
            if (prescription.PrescriptionId == prescriptionId && prescription.PlatformId == platformId)
            {
                return prescription;
            }
        }

        return null;
    }

    public DispenseEntry? LatestDispenseOf(PrescriptionEntry prescription)
    {
        var latest = _latestDispenses ??= ComputeLatestDispenses();
        for (var i = 0; i < Prescriptions.Count; i++)
        {
            if (ReferenceEquals(Prescriptions[i], prescription))
            {
                return latest[i];
            }
        }

        return LatestOf(prescription);
    }

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

    public IReadOnlyList<EncounterEntry> InPersonEvaluations =>
        _inPersonEvaluations ??= EncountersOf(EncounterKind.InPersonEvaluation);

    public IReadOnlyList<EncounterEntry> SupervisedAdministrations =>
        _supervisedAdministrations ??= EncountersOf(EncounterKind.SupervisedAdministration);

    /// <summary>The providers of the window, shared by the two multiple-provider rules (same window, computed once).</summary>
    internal ProviderWindow ProviderWindowOf(TimeSpan window)
    {
        var cached = _providerWindow;
        if (cached is not null && cached.Window == window)
        {
            return cached;
        }

        return _providerWindow = ProviderWindow.Of(this, window);
    }

    public static EvidenceRef Evidence(PrescriptionEntry p) => new(p.PlatformId, p.PrescriptionId);

    public static EvidenceRef Evidence(DispenseEntry d) => new(d.PlatformId, d.DispenseId);

    public static EvidenceRef Evidence(EncounterEntry e) => new(e.PlatformId, e.EncounterId);

    public static EvidenceRef Evidence(ReservationEntry r) => new(r.PlatformId, r.DecisionId);

    /// <summary>The records dated at or before <paramref name="now"/>: the list itself when all are (the usual case), else a filtered copy.</summary>
    private static IReadOnlyList<T> VisibleAt<T>(IReadOnlyList<T> records, DateTimeOffset now, Func<T, DateTimeOffset> dateOf)
    {
        var horizon = now + ClockSkew.Tolerance;
        var visible = 0;
        for (var i = 0; i < records.Count; i++)
        {
            if (dateOf(records[i]) <= horizon)
            {
                visible++;
            }
        }

        if (visible == records.Count)
        {
            return records;
        }

        var result = new T[visible];
        var at = 0;
        for (var i = 0; i < records.Count; i++)
        {
            if (dateOf(records[i]) <= horizon)
            {
                result[at++] = records[i];
            }
        }

        return result;
    }

    private static IReadOnlyList<ReservationEntry> PendingAt(IReadOnlyList<ReservationEntry> reservations, DateTimeOffset now)
    {
        if (reservations.Count == 0)
        {
            return reservations;
        }

        var pending = new List<ReservationEntry>(reservations.Count);
        foreach (var reservation in reservations)
        {
            if (reservation.IsPendingAt(now))
            {
                pending.Add(reservation);
            }
        }

        return pending.Count == reservations.Count ? reservations : pending;
    }

    private DispenseEntry?[] ComputeLatestDispenses()
    {
        var latest = new DispenseEntry?[Prescriptions.Count];
        for (var i = 0; i < latest.Length; i++)
        {
            latest[i] = LatestOf(Prescriptions[i]);
        }

        return latest;
    }

    private DispenseEntry? LatestOf(PrescriptionEntry prescription)
    {
        DispenseEntry? latest = null;
        foreach (var dispense in Dispenses)
        {
            if (IsOf(dispense, prescription) && (latest is null || dispense.DispensedAt > latest.DispensedAt))
            {
                latest = dispense;
            }
        }

        return latest;
    }

    private EncounterEntry[] EncountersOf(EncounterKind kind)
    {
        var count = 0;
        foreach (var encounter in Encounters)
        {
            if (encounter.Kind == kind)
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        var result = new EncounterEntry[count];
        var at = 0;
        foreach (var encounter in Encounters)
        {
            if (encounter.Kind == kind)
            {
                result[at++] = encounter;
            }
        }

        return result;
    }
}
