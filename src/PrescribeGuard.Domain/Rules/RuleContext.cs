using System.Buffers;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The check, the patient's history and the queries over it that several rules share.
/// Records dated after <see cref="Now"/> (beyond the clock-skew tolerance) are invisible, so a dry
/// run "as of" a past date sees the history as it stood then. The shared queries are computed once per evaluation (the evaluator
/// runs every rule over the same context), without LINQ, because this is the guard's hot path; the
/// history comes as <see cref="RecordList{T}"/> so that the rules' loops allocate no enumerators.
/// </summary>
public sealed class RuleContext : IDisposable
{
    // Rented from the shared pool and given back by Dispose: one slot per prescription, per check.
    private FillSummary[]? _fills;
    private ProviderWindow? _providerWindow;

    public RuleContext(PrescriptionCheck check, PatientHistory history, GuardPolicy policy)
    {
        Check = check;
        Policy = policy;
        Now = check.EvaluatedAt;
        Prescriptions = new(VisibleAt(history.Prescriptions, Now, static p => p.IssuedAt));
        Dispenses = new(VisibleAt(history.Dispenses, Now, static d => d.DispensedAt));
        Encounters = new(VisibleAt(history.Encounters, Now, static e => e.OccurredAt));
        PendingReservations = new(PendingAt(history.Reservations, Now));
        RefillTarget = check.RefillOfPrescriptionId is { } refillOf ? FindPrescription(check.PlatformId, refillOf) : null;
    }

    public PrescriptionCheck Check { get; }

    public GuardPolicy Policy { get; }

    public DateTimeOffset Now { get; }

    public RecordList<PrescriptionEntry> Prescriptions { get; }

    public RecordList<DispenseEntry> Dispenses { get; }

    public RecordList<EncounterEntry> Encounters { get; }

    /// <summary>Reservations neither confirmed, released nor expired at <see cref="Now"/>.</summary>
    public RecordList<ReservationEntry> PendingReservations { get; }

    /// <summary>The prescription a refill check is about, when it is on record.</summary>
    public PrescriptionEntry? RefillTarget { get; }

    public Medication Medication => Check.Medication;

    /// <summary>The calendar date of <paramref name="at"/> where the patient is: legal limits are set in dates, not instants.</summary>
    public DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Check.Patient.TimeZone).DateTime);

    /// <summary>The date of <see cref="Now"/> where the patient is; computed on demand, as only the date-bound legal rules ask.</summary>
    public DateOnly Today => LocalDate(Now);

    /// <summary>Whether something dated <paramref name="at"/> counts now: up to the clock-skew tolerance ahead.</summary>
    public bool IsVisible(DateTimeOffset at) => at <= Now + ClockSkew.Tolerance;

    public bool IsHomeUse => Check.Medication.IsHomeUse;

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

    public DispenseEntry? LatestDispenseOf(PrescriptionEntry prescription) => FillsOf(prescription).Latest;

    /// <summary>
    /// When the supply dispensed for a prescription runs out (unfilled: its issue date plus its days'
    /// supply). Each fill's supply starts when the one before it runs out, or on its own date if that
    /// is later: an early refill adds to what the patient still holds rather than replacing it, as
    /// pharmacies count "supply on hand" (and NY PHL §3339(3) the "previous supply").
    /// </summary>
    public DateTimeOffset SuppliedUntil(PrescriptionEntry prescription) => FillsOf(prescription).SuppliedUntil;

    /// <summary>
    /// A prescription is active while its dispensed supply lasts, and at least for the course it was
    /// written for: a partial fill's remainder can still be dispensed (21 CFR 1306.23).
    /// </summary>
    public DateTimeOffset ActiveUntil(PrescriptionEntry prescription)
    {
        var supplied = SuppliedUntil(prescription);
        var course = prescription.IssuedAt.AddDays(prescription.Medication.DaysSupply);
        return course > supplied ? course : supplied;
    }

    /// <summary>Whether a fill before the latest still supplied the patient when the latest was dispensed.</summary>
    public bool CarriesSupplyForward(PrescriptionEntry prescription) => FillsOf(prescription).CarriedForward;

    public bool IsActive(PrescriptionEntry prescription) => ActiveUntil(prescription) > Now;

    public bool IsRefillTarget(PrescriptionEntry prescription) =>
        RefillTarget is not null &&
        prescription.PlatformId == RefillTarget.PlatformId &&
        prescription.PrescriptionId == RefillTarget.PrescriptionId;

    public EncounterKindList InPersonEvaluations => new(Encounters, EncounterKind.InPersonEvaluation);

    /// <summary>Supervised doses of ketamine or esketamine, the only ones the supervision rules count.</summary>
    public EncounterKindList SupervisedAdministrations => new(Encounters, EncounterKind.SupervisedAdministration, ketamineOnly: true);

    /// <summary>The providers of the window, shared by the two multiple-provider rules (same window, computed once).</summary>
    internal ProviderWindow ProviderWindowOf(TimeSpan window)
    {
        if (_providerWindow is { } cached && cached.Window == window)
        {
            return cached;
        }

        var computed = ProviderWindow.Of(this, window);
        _providerWindow = computed;
        return computed;
    }

    /// <summary>A collector of the caller's own evidence ids for a hit; dispose it when the hit is made.</summary>
    public CallerEvidence.Collector CollectEvidence() => CallerEvidence.Collector.Rent(Check.PlatformId);

    /// <summary>The caller's own ids among <paramref name="references"/>.</summary>
    public CallerEvidence EvidenceOf(params ReadOnlySpan<EvidenceRef> references)
    {
        using var evidence = CollectEvidence();
        foreach (var reference in references)
        {
            evidence.Add(reference);
        }

        return evidence.ToEvidence();
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

    /// <summary>Gives the pooled buffer back; the evaluator disposes the context when its rules have run.</summary>
    public void Dispose()
    {
        if (_fills is { Length: > 0 } rented)
        {
            _fills = null;
            ArrayPool<FillSummary>.Shared.Return(rented, clearArray: true);
        }
    }

    private FillSummary FillsOf(PrescriptionEntry prescription)
    {
        var fills = _fills ??= ComputeFills();
        for (var i = 0; i < Prescriptions.Count; i++)
        {
            if (ReferenceEquals(Prescriptions[i], prescription))
            {
                return fills[i];
            }
        }

        return SummarizeFills(prescription);
    }

    private FillSummary[] ComputeFills()
    {
        // Rented (and possibly longer than needed): only the first Prescriptions.Count slots are read.
        var fills = Prescriptions.Count == 0 ? [] : ArrayPool<FillSummary>.Shared.Rent(Prescriptions.Count);
        for (var i = 0; i < Prescriptions.Count; i++)
        {
            fills[i] = SummarizeFills(Prescriptions[i]);
        }

        return fills;
    }

    private FillSummary SummarizeFills(PrescriptionEntry prescription)
    {
        DispenseEntry? latest = null;
        var count = 0;
        foreach (var dispense in Dispenses)
        {
            if (IsOf(dispense, prescription))
            {
                count++;
                latest = latest is null || IsLater(dispense, latest) ? dispense : latest;
            }
        }

        if (latest is null)
        {
            return new(null, prescription.IssuedAt.AddDays(prescription.Medication.DaysSupply), CarriedForward: false);
        }

        var latestEnd = latest.DispensedAt.AddDays(DaysSuppliedBy(latest, prescription));
        if (count == 1)
        {
            return new(latest, latestEnd, CarriedForward: false);
        }

        var end = SupplyEnd(prescription, count);
        return new(latest, end.ToOffset(latest.DispensedAt.Offset), CarriedForward: end > latestEnd);
    }

    /// <summary>
    /// When the supply of the prescription's fills runs out: in date order, each fill's days start
    /// when the one before ran out or on its own date, whichever is later. Fills on one instant add
    /// up alike in either order, so the sort needs no tie-break.
    /// </summary>
    private DateTimeOffset SupplyEnd(PrescriptionEntry prescription, int count)
    {
        const int OnStack = 32;
        long[]? rentedDates = null;
        int[]? rentedDays = null;
        var dates = count <= OnStack ? stackalloc long[count] : (rentedDates = ArrayPool<long>.Shared.Rent(count)).AsSpan(0, count);
        var days = count <= OnStack ? stackalloc int[count] : (rentedDays = ArrayPool<int>.Shared.Rent(count)).AsSpan(0, count);
        try
        {
            var next = 0;
            foreach (var dispense in Dispenses)
            {
                if (IsOf(dispense, prescription))
                {
                    dates[next] = dispense.DispensedAt.UtcTicks;
                    days[next] = DaysSuppliedBy(dispense, prescription);
                    next++;
                }
            }

            dates.Sort(days);
            var runsOut = long.MinValue;
            for (var i = 0; i < count; i++)
            {
                runsOut = Math.Max(runsOut, dates[i]) + (days[i] * TimeSpan.TicksPerDay);
            }

            return new DateTimeOffset(runsOut, TimeSpan.Zero);
        }
        finally
        {
            if (rentedDates is not null)
            {
                ArrayPool<long>.Shared.Return(rentedDates);
            }

            if (rentedDays is not null)
            {
                ArrayPool<int>.Shared.Return(rentedDays);
            }
        }
    }

    // Fill dates often carry no time of day (ASAP's are dates): of fills on one instant the last id
    // is the latest, so which one a finding cites does not follow the order the store listed them in.
    private static bool IsLater(DispenseEntry dispense, DispenseEntry than) =>
        dispense.DispensedAt > than.DispensedAt ||
        (dispense.DispensedAt == than.DispensedAt && string.CompareOrdinal(dispense.DispenseId, than.DispenseId) > 0);

    // A pharmacy may report a fill without its days' supply; the prescription's then stands.
    private static int DaysSuppliedBy(DispenseEntry dispense, PrescriptionEntry prescription) =>
        dispense.DaysSupply > 0 ? dispense.DaysSupply : prescription.Medication.DaysSupply;

    private readonly record struct FillSummary(DispenseEntry? Latest, DateTimeOffset SuppliedUntil, bool CarriedForward);
}
