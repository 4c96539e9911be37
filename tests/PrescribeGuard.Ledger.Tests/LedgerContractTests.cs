using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Time.Testing;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Ledger.Sql;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>
/// What every store behind <see cref="SqlGuardLedger"/> must do, run once per store by a subclass.
/// Tests of a class share one store, so each works on its own new patients and ids.
/// </summary>
public abstract partial class LedgerContractTests : IAsyncLifetime
{
    private readonly List<ILedgerDialect> _extraStores = [];

    /// <summary>The store the tests of this class share; created by the subclass's fixture.</summary>
    protected abstract ILedgerDialect SharedStore { get; }

    /// <summary>The ledger over <see cref="SharedStore"/>, migrated, without a history cache.</summary>
    protected SqlGuardLedger Ledger { get; private set; } = null!;

    /// <summary>A new, empty store reached through <paramref name="instances"/> dialects, as that many guard instances would.</summary>
    protected abstract Task<IReadOnlyList<ILedgerDialect>> CreateDialectsOverNewStoreAsync(int instances);

    public async Task InitializeAsync()
    {
        // Its clock stays at Now: the tests' times are Now-relative, however long the run takes.
        Ledger = new SqlGuardLedger(SharedStore, new NoHistoryCache(), time: new FakeTimeProvider(Now));
        await Ledger.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var dialect in _extraStores)
        {
            if (dialect is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (dialect is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }

    /// <summary>The store's plan for <paramref name="sql"/>, as text (index scans preferred where the store lets a test say so).</summary>
    protected abstract Task<string> QueryPlanAsync(string sql);

    /// <summary>A query for the definition of the index named <c>@name</c> as the store keeps it (no row if there is none).</summary>
    protected abstract string IndexDefinitionSql { get; }

    private async Task<string?> IndexDefinitionAsync(string name)
    {
        await using var connection = await SharedStore.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(null, IndexDefinitionSql).With("@name", name);
        return (string?)await command.ExecuteScalarAsync();
    }

    /// <summary>The text in <paramref name="column"/> of every row <paramref name="command"/> returns, a line each.</summary>
    protected static async Task<string> LinesOfAsync(DbCommand command, int column)
    {
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(column));
        }

        return string.Join('\n', lines);
    }

    /// <summary>Dialects disposed after the test.</summary>
    protected async Task<IReadOnlyList<ILedgerDialect>> NewStoreAsync(int instances)
    {
        var dialects = await CreateDialectsOverNewStoreAsync(instances);
        _extraStores.AddRange(dialects);
        return dialects;
    }

    /// <summary>A ledger (history uncached) over a store of its own, its schema migrated.</summary>
    /// <param name="auditLinksPerPage">How many links the ledger's audit reads a page; null for its default.</param>
    protected async Task<(SqlGuardLedger Ledger, ILedgerDialect Dialect)> MigratedLedgerOnNewStoreAsync(int? auditLinksPerPage = null)
    {
        var dialect = (await NewStoreAsync(1))[0];
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache()) { AuditLinksPerPage = auditLinksPerPage ?? SqlGuardLedger.AuditLinksPerPageByDefault };
        await ledger.MigrateAsync(CancellationToken.None);
        return (ledger, dialect);
    }

    /// <summary>Encounters (in-person evaluations) of one patient, ids from <paramref name="idOf"/>, a minute apart.</summary>
    protected static async Task RecordEvaluationsAsync(SqlGuardLedger ledger, Domain.Identity.PatientKey patient, int count, Func<int, string> idOf)
    {
        for (var i = 0; i < count; i++)
        {
            await ledger.RecordEncounterAsync(Encounter(patient, idOf(i), Now - TimeSpan.FromMinutes(i), null, null), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Migrating_again_is_a_no_op_that_keeps_the_data()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);

        await Ledger.MigrateAsync(CancellationToken.None);
        await new SqlGuardLedger(SharedStore, new NoHistoryCache()).MigrateAsync(CancellationToken.None);

        var (rows, version) = await SchemaVersionsAsync(SharedStore);
        Assert.Equal(SharedStore.Migrations.Count, rows);
        Assert.Equal(SharedStore.Migrations.Count, version);
        var audited = await Ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None);
        Assert.NotNull(audited);
        Assert.Single((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
    }

    [Fact]
    public async Task Two_instances_migrating_a_new_store_at_once_both_succeed_and_migrate_once()
    {
        var dialects = await NewStoreAsync(instances: 2);

        await Task.WhenAll(dialects.Select(dialect =>
            Task.Run(() => new SqlGuardLedger(dialect, new NoHistoryCache()).MigrateAsync(CancellationToken.None))));

        var (rows, version) = await SchemaVersionsAsync(dialects[0]);
        Assert.Equal(dialects[0].Migrations.Count, rows);
        Assert.Equal(dialects[0].Migrations.Count, version);
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await new SqlGuardLedger(dialects[1], new NoHistoryCache())
            .DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        Assert.NotNull(await new SqlGuardLedger(dialects[0], new NoHistoryCache()).GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None));
    }

    [Fact]
    public async Task Decide_commits_the_decision_and_replays_it_for_the_same_request_and_fingerprint()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var calls = 0;
        DecisionRecord Decide(PatientHistory history)
        {
            Interlocked.Increment(ref calls);
            return Decision(request, Now, reserve: true);
        }

        var first = await Ledger.DecideAsync(request, Decide, CancellationToken.None);
        var again = await Ledger.DecideAsync(request with { }, Decide, CancellationToken.None);

        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.Equal(1, calls);
        AssertSameDecision(first.Decision, again.Decision);
        AssertSameDecision(first.Decision, (await Ledger.GetDecisionAsync(first.Decision.DecisionId, CancellationToken.None))!);
    }

    [Fact]
    public async Task Decide_with_a_used_request_id_and_another_fingerprint_is_already_exists()
    {
        var patient = NewPatient();
        var request = Request(patient);
        await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        var changed = request with { RequestFingerprint = "check-fp-2" };
        var called = false;

        await FailsWith(GuardErrorKind.AlreadyExists, "REQUEST_ID_REUSED", () =>
            Ledger.DecideAsync(changed, _ =>
            {
                called = true;
                return Decision(changed, Now, reserve: true);
            }, CancellationToken.None));

        Assert.False(called);
        Assert.Single((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
    }

    [Fact]
    public async Task Decide_that_throws_commits_nothing()
    {
        var patient = NewPatient();
        var request = Request(patient);

        await FailsWith(GuardErrorKind.FailedPrecondition, "PRESCRIPTION_NOT_FOUND", () =>
            Ledger.DecideAsync(request, _ => throw GuardException.Precondition("PRESCRIPTION_NOT_FOUND", "no such prescription"), CancellationToken.None));

        var retried = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None);
        Assert.False(retried.Replayed);
    }

    [Theory]
    [InlineData("clinic/one")]
    [InlineData("")]
    public async Task A_platform_id_the_audit_could_not_tell_apart_is_refused_and_nothing_is_written(string platformId)
    {
        // "clinic/one" + "rx" and "clinic" + "one/rx" would both be linked as clinic/one/rx.
        var patient = NewPatient();
        var prescription = Prescription(patient, NewId("rx"), Now, platformId: platformId);
        var encounter = Encounter(patient, NewId("enc"), Now, bloodPressure: null, medication: null);
        encounter = encounter with { Entry = encounter.Entry with { PlatformId = platformId } };

        await Assert.ThrowsAsync<ArgumentException>(() => Ledger.RecordPrescriptionAsync(prescription, Now, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Ledger.RecordEncounterAsync(encounter, CancellationToken.None));
        var dispense = Dispense(patient, prescription.Entry.PrescriptionId, NewId("fill"), Now);
        await Assert.ThrowsAsync<ArgumentException>(
            () => Ledger.RecordDispenseAsync(dispense with { Entry = dispense.Entry with { PlatformId = platformId } }, CancellationToken.None));

        var history = await Ledger.LoadHistoryAsync(patient, CancellationToken.None);
        Assert.Empty(history.Prescriptions);
        Assert.Empty(history.Dispenses);
        Assert.Empty(history.Encounters);
        Assert.True((await Ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task History_round_trips_every_field_of_every_kind_of_entry()
    {
        var patient = NewPatient();
        var prescription = Prescription(patient, NewId("rx"), Now.AddDays(-40), imported: true, medication: Nasal);
        var recent = Prescription(patient, NewId("rx"), Now.AddDays(-10));
        var dispense = Dispense(patient, recent.Entry.PrescriptionId, NewId("fill"), Now.AddDays(-9), fillNumber: 1);
        var evaluation = Encounter(patient, NewId("enc"), Now.AddDays(-50), bloodPressure: null, medication: null);
        var administration = Encounter(patient, NewId("enc"), Now.AddDays(-20), new BloodPressure(131, 84, Now.AddDays(-20).AddMinutes(-5)), Nasal);
        Assert.Equal(WriteResult.Created, await Ledger.RecordPrescriptionAsync(prescription, Now, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordPrescriptionAsync(recent, Now, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordDispenseAsync(dispense, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordEncounterAsync(evaluation, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordEncounterAsync(administration, CancellationToken.None));
        var request = Request(patient, platformId: PlatformB);
        var reserved = await Ledger.DecideAsync(request, _ => Decision(request, Now.AddMinutes(-1), reserve: true, Nasal), CancellationToken.None);
        var unrelated = NewPatient();
        await Ledger.RecordEncounterAsync(Encounter(unrelated, NewId("enc"), Now, null, null), CancellationToken.None);

        var history = await Ledger.LoadHistoryAsync(patient, CancellationToken.None);

        Assert.Equal([prescription.Entry, recent.Entry], history.Prescriptions);
        Assert.Equal([dispense.Entry], history.Dispenses);
        Assert.Equal([evaluation.Entry, administration.Entry], history.Encounters);
        Assert.Equal([reserved.Decision.Reservation!], history.Reservations);
        Assert.Equal(Now.AddMinutes(-1) + ReservationTtl, history.Reservations[0].ExpiresAt);

        // The history a check decides on is the same one.
        PatientHistory? seen = null;
        var next = Request(patient);
        await Ledger.DecideAsync(next, h =>
        {
            seen = h;
            return Decision(next, Now, reserve: false);
        }, CancellationToken.None);
        Assert.NotNull(seen);
        Assert.Equal(history.Prescriptions, seen.Prescriptions);
        Assert.Equal(history.Dispenses, seen.Dispenses);
        Assert.Equal(history.Encounters, seen.Encounters);
        Assert.Equal(history.Reservations, seen.Reservations);
    }

    [Fact]
    public async Task A_new_patient_has_an_empty_history()
    {
        var history = await Ledger.LoadHistoryAsync(NewPatient(), CancellationToken.None);

        Assert.Empty(history.Prescriptions);
        Assert.Empty(history.Dispenses);
        Assert.Empty(history.Encounters);
        Assert.Empty(history.Reservations);
    }

    [Fact]
    public async Task Recording_the_prescription_of_a_reservation_confirms_it_and_it_leaves_the_history()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        var prescription = Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId);

        var result = await Ledger.RecordPrescriptionAsync(prescription, Now.AddMinutes(5), CancellationToken.None);

        Assert.Equal(WriteResult.Created, result);
        var history = await Ledger.LoadHistoryAsync(patient, CancellationToken.None);
        Assert.Empty(history.Reservations);
        Assert.Equal([prescription.Entry], history.Prescriptions);
        var audited = await Ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None);
        Assert.Equal(ReservationState.Confirmed, audited!.ReservationState);
        Assert.Equal(prescription.Entry.PrescriptionId, audited.ConfirmedPrescriptionId);

        // The same record again is a repeat; a second prescription on the same decision is not.
        Assert.Equal(WriteResult.Unchanged, await Ledger.RecordPrescriptionAsync(prescription, Now.AddMinutes(6), CancellationToken.None));
        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_ALREADY_CONFIRMED", () =>
            Ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId), Now.AddMinutes(6), CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_a_decision_frees_its_reservation_once()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        var decisionId = decided.Decision.DecisionId;

        await FailsWith(GuardErrorKind.NotFound, "DECISION_NOT_FOUND", () =>
            Ledger.ReleaseDecisionAsync(PlatformB, decisionId, Now.AddMinutes(1), CancellationToken.None));
        await FailsWith(GuardErrorKind.NotFound, "DECISION_NOT_FOUND", () =>
            Ledger.ReleaseDecisionAsync(PlatformA, NewId("dec"), Now.AddMinutes(1), CancellationToken.None));
        var released = await Ledger.ReleaseDecisionAsync(PlatformA, decisionId, Now.AddMinutes(1), CancellationToken.None);
        var again = await Ledger.ReleaseDecisionAsync(PlatformA, decisionId, Now.AddMinutes(2), CancellationToken.None);

        Assert.True(released.Released);
        Assert.Equal(patient, released.PatientKey);
        Assert.False(again.Released);
        Assert.Empty((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        Assert.Equal(ReservationState.Released, (await Ledger.GetDecisionAsync(decisionId, CancellationToken.None))!.ReservationState);
        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_RELEASED", () =>
            Ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, decisionId), Now.AddMinutes(3), CancellationToken.None));
    }

    [Fact]
    public async Task Releasing_a_confirmed_decision_is_a_failed_precondition()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        await Ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId), Now, CancellationToken.None);

        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_ALREADY_CONFIRMED", () =>
            Ledger.ReleaseDecisionAsync(PlatformA, decided.Decision.DecisionId, Now, CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_reservation_cannot_be_confirmed_and_nothing_is_recorded()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        var prescription = Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId);

        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_EXPIRED", () =>
            Ledger.RecordPrescriptionAsync(prescription, Now + ReservationTtl, CancellationToken.None));

        // Nothing is recorded, and the expiry is final: no slower instance can confirm it, no check counts it.
        var history = await Ledger.LoadHistoryAsync(patient, CancellationToken.None);
        Assert.Empty(history.Prescriptions);
        Assert.Empty(history.Reservations);
        Assert.Equal(ReservationState.Expired, (await Ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None))!.ReservationState);
        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_EXPIRED", () =>
            Ledger.RecordPrescriptionAsync(prescription, Now + ReservationTtl - TimeSpan.FromMinutes(1), CancellationToken.None));
        var released = await Ledger.ReleaseDecisionAsync(PlatformA, decided.Decision.DecisionId, Now + ReservationTtl, CancellationToken.None);
        Assert.False(released.Released);
    }

    [Theory]
    [InlineData(4, true)] // expired, but within the clock tolerance: it still holds the patient, so releasing frees it
    [InlineData(5, false)]
    public async Task A_reservation_can_be_released_until_the_clock_tolerance_past_its_expiry(int minutesPastExpiry, bool releases)
    {
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);

        var released = await Ledger.ReleaseDecisionAsync(PlatformA, decided.Decision.DecisionId, Now + ReservationTtl + TimeSpan.FromMinutes(minutesPastExpiry), CancellationToken.None);

        Assert.Equal(releases, released.Released);
        Assert.Equal(releases ? ReservationState.Released : ReservationState.Pending, (await Ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None))!.ReservationState);
    }

    [Fact]
    public async Task A_confirmation_judges_expiry_when_it_holds_the_patient_not_when_its_request_arrived()
    {
        // The request arrived 10 ms before the reservation expired and waited for the patient's
        // lock until 1 ms after: by then another platform's check may have found it expired.
        var clock = new FakeTimeProvider(Now);
        var ledger = new SqlGuardLedger(SharedStore, new NoHistoryCache(), time: clock);
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        var prescription = Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId);
        clock.SetUtcNow(Now + ReservationTtl + TimeSpan.FromMilliseconds(1));

        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_EXPIRED", () =>
            ledger.RecordPrescriptionAsync(prescription, Now + ReservationTtl - TimeSpan.FromMilliseconds(10), CancellationToken.None));

        Assert.Empty((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Prescriptions);
        Assert.Equal(ReservationState.Expired, (await ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None))!.ReservationState);
    }

    [Fact]
    public async Task A_confirmation_the_ledger_reaches_before_expiry_stands()
    {
        var clock = new FakeTimeProvider(Now + TimeSpan.FromMinutes(1));
        var ledger = new SqlGuardLedger(SharedStore, new NoHistoryCache(), time: clock);
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);

        var recorded = await ledger.RecordPrescriptionAsync(
            Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId), Now, CancellationToken.None);

        Assert.Equal(WriteResult.Created, recorded);
        Assert.Equal(ReservationState.Confirmed, (await ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None))!.ReservationState);
    }

    [Fact]
    public async Task A_prescription_citing_a_denied_or_unknown_decision_is_refused()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var denied = await Ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None);

        await FailsWith(GuardErrorKind.FailedPrecondition, "DECISION_DENIED", () =>
            Ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, denied.Decision.DecisionId), Now, CancellationToken.None));
        await FailsWith(GuardErrorKind.FailedPrecondition, "DECISION_NOT_FOUND", () =>
            Ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, NewId("dec")), Now, CancellationToken.None));
        await FailsWith(GuardErrorKind.FailedPrecondition, "DECISION_PATIENT_MISMATCH", () =>
            Ledger.RecordPrescriptionAsync(Prescription(NewPatient(), NewId("rx"), Now, denied.Decision.DecisionId), Now, CancellationToken.None));
    }

    [Fact]
    public async Task A_dispense_of_an_unknown_prescription_is_prescription_not_found()
    {
        var patient = NewPatient();
        var owner = NewPatient();
        var prescription = Prescription(owner, NewId("rx"), Now.AddDays(-1));
        await Ledger.RecordPrescriptionAsync(prescription, Now, CancellationToken.None);

        await FailsWith(GuardErrorKind.FailedPrecondition, "PRESCRIPTION_NOT_FOUND", () =>
            Ledger.RecordDispenseAsync(Dispense(patient, NewId("rx"), NewId("fill"), Now), CancellationToken.None));
        await FailsWith(GuardErrorKind.FailedPrecondition, "PRESCRIPTION_PATIENT_MISMATCH", () =>
            Ledger.RecordDispenseAsync(Dispense(patient, prescription.Entry.PrescriptionId, NewId("fill"), Now), CancellationToken.None));

        Assert.Empty((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Dispenses);
    }

    [Fact]
    public async Task The_first_patient_key_verifier_claimed_is_the_one_every_later_claim_gets()
    {
        var first = await Ledger.ClaimPatientKeyVerifierAsync("verifier-1", CancellationToken.None);
        var later = await Ledger.ClaimPatientKeyVerifierAsync("verifier-2", CancellationToken.None);

        Assert.Equal(first, later);
        Assert.Equal(first, await Ledger.ClaimPatientKeyVerifierAsync(first, CancellationToken.None));
    }

    [Fact]
    public async Task A_dispense_dated_before_its_prescription_was_issued_is_refused_and_not_written()
    {
        var patient = NewPatient();
        var prescription = Prescription(patient, NewId("rx"), Now);
        await Ledger.RecordPrescriptionAsync(prescription, Now, CancellationToken.None);
        var rx = prescription.Entry.PrescriptionId;

        await FailsWith(GuardErrorKind.FailedPrecondition, "DISPENSED_BEFORE_ISSUE", () =>
            Ledger.RecordDispenseAsync(Dispense(patient, rx, NewId("fill"), Now.AddDays(-40)), CancellationToken.None));
        Assert.Empty((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Dispenses);

        // Within the clocks' tolerance a pharmacy's fill may appear to come a little first.
        var skewed = Dispense(patient, rx, NewId("fill"), Now - ClockSkew.Tolerance + TimeSpan.FromSeconds(1));
        Assert.Equal(WriteResult.Created, await Ledger.RecordDispenseAsync(skewed, CancellationToken.None));
    }

    [Fact]
    public async Task Repeating_a_record_is_unchanged_and_reusing_its_id_for_other_content_is_already_exists()
    {
        var patient = NewPatient();
        var prescription = Prescription(patient, NewId("rx"), Now.AddDays(-1));
        var dispense = Dispense(patient, prescription.Entry.PrescriptionId, NewId("fill"), Now);
        var encounter = Encounter(patient, NewId("enc"), Now, new BloodPressure(120, 80, Now), null);
        Assert.Equal(WriteResult.Created, await Ledger.RecordPrescriptionAsync(prescription, Now, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordDispenseAsync(dispense, CancellationToken.None));
        Assert.Equal(WriteResult.Created, await Ledger.RecordEncounterAsync(encounter, CancellationToken.None));

        Assert.Equal(WriteResult.Unchanged, await Ledger.RecordPrescriptionAsync(prescription, Now.AddMinutes(1), CancellationToken.None));
        Assert.Equal(WriteResult.Unchanged, await Ledger.RecordDispenseAsync(dispense, CancellationToken.None));
        Assert.Equal(WriteResult.Unchanged, await Ledger.RecordEncounterAsync(encounter, CancellationToken.None));
        await FailsWith(GuardErrorKind.AlreadyExists, "PRESCRIPTION_ID_REUSED", () =>
            Ledger.RecordPrescriptionAsync(prescription with { Fingerprint = "rx-fp-2" }, Now, CancellationToken.None));
        await FailsWith(GuardErrorKind.AlreadyExists, "DISPENSE_ID_REUSED", () =>
            Ledger.RecordDispenseAsync(dispense with { Fingerprint = "dispense-fp-2" }, CancellationToken.None));
        await FailsWith(GuardErrorKind.AlreadyExists, "ENCOUNTER_ID_REUSED", () =>
            Ledger.RecordEncounterAsync(encounter with { Fingerprint = "encounter-fp-2" }, CancellationToken.None));

        var history = await Ledger.LoadHistoryAsync(patient, CancellationToken.None);
        Assert.Single(history.Prescriptions);
        Assert.Single(history.Dispenses);
        Assert.Single(history.Encounters);
    }

    [Fact]
    public async Task GetDecision_returns_the_stored_payload_bytes_and_null_for_an_unknown_id()
    {
        var patient = NewPatient();
        var request = Request(patient);
        var record = Decision(request, Now, reserve: false);
        await Ledger.DecideAsync(request, _ => record, CancellationToken.None);

        var audited = await Ledger.GetDecisionAsync(record.DecisionId, CancellationToken.None);

        Assert.NotNull(audited);
        Assert.Equal(record.Payload, audited.Payload);
        AssertSameDecision(record, audited);
        Assert.Null(await Ledger.GetDecisionAsync(NewId("dec"), CancellationToken.None));
    }

    [Fact]
    public async Task Pending_reservations_are_read_through_the_index_of_pending_decisions_only()
    {
        var plan = await QueryPlanAsync(SqlGuardLedger.PendingReservationsSql.Replace("@patient_key", "'a-patient'", StringComparison.Ordinal));

        Assert.Contains("ix_decisions_pending_only", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal); // SQLite sorting apart: the index gives the order
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal); // PostgreSQL, likewise
        Assert.Contains("WHERE", await IndexDefinitionAsync("ix_decisions_pending_only"), StringComparison.OrdinalIgnoreCase);
        Assert.Null(await IndexDefinitionAsync("ix_decisions_pending")); // the index of every decision is gone
    }

    [Fact]
    public async Task Fifty_concurrent_decisions_for_one_patient_reserve_exactly_once()
    {
        var patient = NewPatient();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() =>
        {
            var request = Request(patient, $"req-{i}");
            return Ledger.DecideAsync(
                request,
                history => Decision(request, Now, reserve: history.Reservations.Count == 0),
                CancellationToken.None);
        })));

        Assert.Single(results, r => r.Decision.Reservation is not null);
        Assert.Equal(49, results.Count(r => r.Decision.Outcome == Outcome.Deny));
        Assert.Single((await Ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        Assert.Equal(50, results.Select(r => r.Decision.DecisionId).Distinct().Count());
        foreach (var result in results)
        {
            Assert.NotNull(await Ledger.GetDecisionAsync(result.Decision.DecisionId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Fifty_concurrent_decisions_for_one_patient_on_a_cached_history_reserve_exactly_once()
    {
        var patient = NewPatient();
        var ledger = new SqlGuardLedger(SharedStore, new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)));
        var warm = Request(patient);
        await ledger.DecideAsync(warm, _ => Decision(warm, Now, reserve: false), CancellationToken.None);

        // Checks that find the reservation deny without reserving: on a store that commits commands
        // atomically they race the reserving one through the single-command path.
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() =>
        {
            var request = Request(patient);
            return ledger.DecideAsync(request, history => Decision(request, Now, reserve: history.Reservations.Count == 0), CancellationToken.None);
        })));

        Assert.Single(results, r => r.Decision.Reservation is not null);
        Assert.Equal(49, results.Count(r => r.Decision.Outcome == Outcome.Deny));
        Assert.Single((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        Assert.Equal(50, results.Select(r => r.Decision.DecisionId).Distinct().Count());
        foreach (var result in results)
        {
            Assert.Equal(result.Decision.DecisionId, (await ledger.GetDecisionAsync(result.Decision.DecisionId, CancellationToken.None))?.DecisionId);
        }

        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task A_cached_check_that_reserves_nothing_is_one_command_where_commands_commit_atomically_and_replays_as_before()
    {
        var patient = NewPatient();
        var ledger = new SqlGuardLedger(SharedStore, new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)));
        var single = SharedStore.CommitsCommandsAtomically ? 1 : 0;

        // Not cached yet: the history is read ahead (where commands commit atomically) and then cached.
        var first = Request(patient);
        await ledger.DecideAsync(first, _ => Decision(first, Now, reserve: false), CancellationToken.None);
        Assert.Equal(single, ledger.SingleCommandDecisions);
        Assert.Equal(1 - single, ledger.TransactionDecisions);

        var second = Request(patient, fingerprint: "fp-second");
        var decided = await ledger.DecideAsync(second, _ => Decision(second, Now, reserve: false), CancellationToken.None);
        Assert.False(decided.Replayed);
        Assert.Equal(2 * single, ledger.SingleCommandDecisions);
        Assert.Equal(2 - (2 * single), ledger.TransactionDecisions);
        Assert.Equal(decided.Decision.Payload, (await ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None))!.Payload);

        // The same request again is a replay; its id with another check is refused, both as before.
        var again = await ledger.DecideAsync(second, _ => Decision(second, Now, reserve: false), CancellationToken.None);
        Assert.True(again.Replayed);
        Assert.Equal(decided.Decision.DecisionId, again.Decision.DecisionId);
        var reused = second with { RequestFingerprint = "fp-other" };
        await FailsWith(GuardErrorKind.AlreadyExists, "REQUEST_ID_REUSED", () =>
            ledger.DecideAsync(reused, _ => Decision(reused, Now, reserve: false), CancellationToken.None));
        Assert.Equal(2 * single, ledger.SingleCommandDecisions);
        Assert.Equal(2 - (2 * single), ledger.TransactionDecisions);

        // A reserving check always takes the transaction (it bumps the revision).
        var reserving = Request(patient);
        var reservation = await ledger.DecideAsync(reserving, _ => Decision(reserving, Now, reserve: true), CancellationToken.None);
        Assert.NotNull(reservation.Decision.Reservation);
        Assert.Equal(2 * single, ledger.SingleCommandDecisions);
        Assert.Equal(3 - (2 * single), ledger.TransactionDecisions);
        Assert.Single((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task A_cached_history_is_used_until_a_write_bumps_the_revision_then_read_again()
    {
        var patient = NewPatient();
        var cache = new CountingCache(new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)));
        var instanceA = new SqlGuardLedger(SharedStore, cache);
        var instanceB = new SqlGuardLedger(SharedStore, new NoHistoryCache());

        // What each check's decide calls saw, in order; the last one is the decision committed.
        async Task<List<PatientHistory>> CheckOnA(bool reserve)
        {
            var seen = new List<PatientHistory>();
            var request = Request(patient);
            await instanceA.DecideAsync(request, history =>
            {
                seen.Add(history);
                return Decision(request, Now, reserve);
            }, CancellationToken.None);
            return seen;
        }

        var first = await CheckOnA(reserve: true);
        Assert.Single(first);
        Assert.Equal(0, cache.Hits);

        // Decided once, on the cached history, which already holds the first check's reservation.
        var second = await CheckOnA(reserve: false);
        Assert.Equal(1, cache.Hits);
        Assert.Single(Assert.Single(second).Reservations);

        // Another instance writes: A's cache is not told, but the revision in the ledger moved, so the
        // decision made on the cached history is dropped and the check is decided again on the ledger's.
        var encounter = Encounter(patient, NewId("enc"), Now.AddDays(-1), new BloodPressure(118, 76, Now.AddDays(-1)), Troches);
        await instanceB.RecordEncounterAsync(encounter, CancellationToken.None);
        var third = await CheckOnA(reserve: false);
        Assert.Equal(2, cache.Hits); // the stale entry was still read, and then refused by its revision
        Assert.Equal(2, third.Count);
        Assert.Empty(third[0].Encounters);
        Assert.Equal([encounter.Entry], third[^1].Encounters);
        Assert.Single(third[^1].Reservations);

        // And the history read again is cached for the next check.
        var fourth = await CheckOnA(reserve: false);
        Assert.Equal(3, cache.Hits);
        Assert.Equal([encounter.Entry], Assert.Single(fourth).Encounters);
    }

    [Fact]
    public async Task Concurrent_writes_where_some_fail_commit_all_the_others_and_the_audit_chain_stays_intact()
    {
        // On SQLite these land in shared group-commit transactions: a failing write must roll back
        // only itself, and every other one must be durable and chained.
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync();
        var patients = Enumerable.Range(0, 8).Select(_ => NewPatient()).ToArray();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 48).Select(i => Task.Run(async () =>
        {
            var request = Request(patients[i % patients.Length], $"req-{i}");
            try
            {
                var decided = await ledger.DecideAsync(
                    request,
                    history => i % 3 == 0
                        ? throw GuardException.Precondition("PRESCRIPTION_NOT_FOUND", "no such prescription")
                        : Decision(request, Now, reserve: history.Reservations.Count == 0),
                    CancellationToken.None);
                return decided.Decision;
            }
            catch (GuardException ex) when (ex.Reason == "PRESCRIPTION_NOT_FOUND")
            {
                return null;
            }
        })));

        var decided = outcomes.OfType<DecisionRecord>().ToArray();
        Assert.Equal(32, decided.Length);
        Assert.Equal(16, outcomes.Count(o => o is null));
        foreach (var decision in decided)
        {
            Assert.NotNull(await ledger.GetDecisionAsync(decision.DecisionId, CancellationToken.None));
        }

        // Serialised per patient: each of the eight got exactly one reservation.
        Assert.Equal(patients.Length, decided.Count(d => d.Reservation is not null));
        foreach (var patient in patients)
        {
            Assert.Single((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        }

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(verification.IsIntact, verification.FirstBreak?.ToString());
        Assert.Equal(32, verification.LinksVerified);

        // A failed request id was not used up: retrying it decides.
        var retry = Request(patients[0], "req-0");
        Assert.False((await ledger.DecideAsync(retry, _ => Decision(retry, Now, reserve: false), CancellationToken.None)).Replayed);
    }

    private static void AssertSameDecision(DecisionRecord expected, DecisionRecord actual)
    {
        Assert.Equal(expected.DecisionId, actual.DecisionId);
        Assert.Equal(expected.PlatformId, actual.PlatformId);
        Assert.Equal(expected.RequestId, actual.RequestId);
        Assert.Equal(expected.RequestFingerprint, actual.RequestFingerprint);
        Assert.Equal(expected.PatientKey, actual.PatientKey);
        Assert.Equal(expected.Outcome, actual.Outcome);
        Assert.Equal(expected.DryRun, actual.DryRun);
        Assert.Equal(expected.PolicyVersion, actual.PolicyVersion);
        Assert.Equal(expected.EvaluatedAt, actual.EvaluatedAt);
        Assert.Equal(expected.Reservation, actual.Reservation);
        Assert.Equal(expected.ReservationState, actual.ReservationState);
        Assert.Equal(expected.ConfirmedPrescriptionId, actual.ConfirmedPrescriptionId);
        Assert.Equal(expected.Payload, actual.Payload);
    }

    private static async Task<(long Rows, long Version)> SchemaVersionsAsync(ILedgerDialect dialect)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM ledger_schema";
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (
            Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
            Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture));
    }

    private sealed class CountingCache(IHistoryCache inner) : IHistoryCache
    {
        private int _hits;

        public int Hits => _hits;

        public async ValueTask<PatientHistory?> GetAsync(PatientKey patientKey, long revision, CancellationToken cancellationToken)
        {
            var history = await inner.GetAsync(patientKey, revision, cancellationToken);
            if (history is not null)
            {
                Interlocked.Increment(ref _hits);
            }

            return history;
        }

        public async ValueTask<CachedHistory?> GetLatestAsync(PatientKey patientKey, CancellationToken cancellationToken)
        {
            var cached = await inner.GetLatestAsync(patientKey, cancellationToken);
            if (cached is not null)
            {
                Interlocked.Increment(ref _hits);
            }

            return cached;
        }

        public ValueTask SetAsync(PatientKey patientKey, long revision, PatientHistory history, CancellationToken cancellationToken) =>
            inner.SetAsync(patientKey, revision, history, cancellationToken);

        public ValueTask InvalidateAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
            inner.InvalidateAsync(patientKey, cancellationToken);
    }
}
