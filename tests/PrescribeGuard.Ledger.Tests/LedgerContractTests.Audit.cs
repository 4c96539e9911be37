using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Sql;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>The audit chain on every store: intact when untouched, and the first edited record is named.</summary>
public abstract partial class LedgerContractTests
{
    [Fact]
    public async Task Audit_chain_of_a_clean_ledger_verifies()
    {
        var (ledger, _, decisionIds) = await AuditedLedgerAsync();

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(verification.IsIntact, verification.FirstBreak?.ToString());
        // Four decisions, one confirmed by a prescription, one released, one pending; a dispense, a supervised administration and an in-person evaluation.
        Assert.Equal(9, verification.LinksVerified);
        Assert.Equal(4, decisionIds.Count);
    }

    private const string Changed = "the audited record was changed after it was written";
    private const string Missing = "the audited record is missing";
    private const string Unreadable = "the audited record holds a value the ledger cannot read as its column's type";

    public static TheoryData<string, string, string, string> Tamperings => new()
    {
        { "decision outcome edited", "UPDATE decisions SET outcome = 2 WHERE decision_id = '{1}'", AuditKind.Decision, Changed },
        { "decision payload edited", "UPDATE decisions SET policy_version = 'sha256:forged' WHERE decision_id = '{1}'", AuditKind.Decision, Changed },
        { "override comment edited", "UPDATE prescriptions SET override_comment = 'nothing to see' WHERE prescription_id = 'rx-audit'", AuditKind.Prescription, Changed },
        { "release time edited", "UPDATE decisions SET released_at = released_at + 1 WHERE decision_id = '{2}'", AuditKind.Release, Changed },
        // The confirmed decision's link: the prescription's link after it no longer follows.
        { "link deleted", "DELETE FROM audit_chain WHERE record_id = '{1}'", AuditKind.Prescription, "expected link 2: a link was removed or reordered" },
        { "decision deleted", "DELETE FROM decisions WHERE decision_id = '{1}'", AuditKind.Decision, Missing },
        // Reservation states: not in the decision's own link, each vouched for by another one.
        { "reservation freed by an edit", "UPDATE decisions SET reservation_state = 3 WHERE decision_id = '{1}'", AuditKind.Decision, "ended without a release link" },
        { "reservation expired by an edit", "UPDATE decisions SET reservation_state = 4 WHERE decision_id = '{1}'", AuditKind.Decision, "ended without a release link" },
        { "released reservation pending again", "UPDATE decisions SET reservation_state = 1 WHERE decision_id = '{2}'", AuditKind.Decision, "a released reservation is pending again" },
        { "reservation removed", "UPDATE decisions SET reservation_state = 0 WHERE decision_id = '{2}'", AuditKind.Decision, "the reservation was removed" },
        { "confirmed by another decision's prescription", "UPDATE decisions SET reservation_state = 2, confirmed_prescription_id = 'rx-audit' WHERE decision_id = '{2}'", AuditKind.Decision, "confirmed without a recorded prescription that names it" },
        { "a reservation state on a decision that reserved none", "UPDATE decisions SET reservation_state = 3 WHERE decision_id = '{0}'", AuditKind.Decision, "a reservation state on a decision that reserved nothing" },
        // A pending reservation holds its patient: each edit below frees the patient for the rules.
        { "pending reservation freed by an edit", "UPDATE decisions SET reservation_state = 3 WHERE decision_id = '{3}'", AuditKind.Decision, "ended without a release link" },
        { "pending reservation expired by an edit", "UPDATE decisions SET reservation_state = 4 WHERE decision_id = '{3}'", AuditKind.Decision, "ended without a release link" },
        { "pending reservation confirmed by an edit", "UPDATE decisions SET reservation_state = 2 WHERE decision_id = '{3}'", AuditKind.Decision, "confirmed without a recorded prescription that names it" },
        { "pending reservation's medication edited", "UPDATE decisions SET res_total_mg = 1, res_days_supply = 1 WHERE decision_id = '{3}'", AuditKind.Decision, Changed },
        // What the rules read of a recorded prescription and of a reservation.
        { "prescription supply shortened", "UPDATE prescriptions SET days_supply = 1, total_mg = 1 WHERE prescription_id = 'rx-audit'", AuditKind.Prescription, Changed },
        { "prescription's prescriber edited", "UPDATE prescriptions SET prescriber_npi = '1245319599' WHERE prescription_id = 'rx-audit'", AuditKind.Prescription, Changed },
        { "reservation's medication edited", "UPDATE decisions SET res_total_mg = 1, res_days_supply = 1 WHERE decision_id = '{2}'", AuditKind.Decision, Changed },
        { "reservation's prescriber edited", "UPDATE decisions SET reservation_prescriber_npi = '1245319599' WHERE decision_id = '{1}'", AuditKind.Decision, Changed },
        // Integers past what the reader takes (the ledger reads these as 32-bit): a break, not an exception.
        { "prescription's days of supply out of range", "UPDATE prescriptions SET days_supply = 4294967297 WHERE prescription_id = 'rx-audit'", AuditKind.Prescription, Unreadable },
        { "pending reservation's days of supply out of range", "UPDATE decisions SET res_days_supply = 4294967297 WHERE decision_id = '{3}'", AuditKind.Decision, Unreadable },
        { "link's chain out of range", "UPDATE audit_chain SET chain = 4294967297 WHERE record_id = '{0}'", AuditKind.Decision, "the link's chain number is out of range" },
        // Times past year 9999, which no DateTimeOffset holds: a break, not an exception.
        { "decision dated past year 9999", "UPDATE decisions SET evaluated_at = 253402300800000 WHERE decision_id = '{0}'", AuditKind.Decision, Unreadable },
        { "pending reservation's expiry past year 9999", "UPDATE decisions SET reservation_expires_at = 253402300800000 WHERE decision_id = '{3}'", AuditKind.Decision, Unreadable },
        // What the rules read of what pharmacies and clinics report.
        { "dispense's supply lengthened", "UPDATE dispenses SET days_supply = 90 WHERE dispense_id = 'dsp-audit'", AuditKind.Dispense, Changed },
        { "dispense dated back", "UPDATE dispenses SET dispensed_at = dispensed_at - 86400000 WHERE dispense_id = 'dsp-audit'", AuditKind.Dispense, Changed },
        { "dispense deleted", "DELETE FROM dispenses WHERE dispense_id = 'dsp-audit'", AuditKind.Dispense, Missing },
        { "supervised administration turned into an in-person evaluation", "UPDATE encounters SET kind = 0 WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Changed },
        { "monitoring lengthened", "UPDATE encounters SET monitoring_minutes = 240 WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Changed },
        { "blood pressure removed", "UPDATE encounters SET bp_systolic = NULL, bp_diastolic = NULL, bp_measured_at = NULL WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Changed },
        { "administered dose edited", "UPDATE encounters SET med_dose_mg = 1 WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Changed },
        { "encounter moved to another state", "UPDATE encounters SET location_state = 'NY' WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Changed },
        { "encounter deleted", "DELETE FROM encounters WHERE encounter_id = 'enc-audit'", AuditKind.Encounter, Missing },
        { "in-person evaluation dated back", "UPDATE encounters SET occurred_at = occurred_at - 86400000 WHERE encounter_id = 'enc-eval'", AuditKind.Encounter, Changed },
        { "in-person evaluation given a blood pressure", "UPDATE encounters SET bp_systolic = 120, bp_diastolic = 80, bp_measured_at = occurred_at WHERE encounter_id = 'enc-eval'", AuditKind.Encounter, Changed },
        // A null where the record needs a value (SQLite's reader throws on it): a break, not an exception.
        { "pending reservation's dose removed", "UPDATE decisions SET res_dose_mg = NULL WHERE decision_id = '{3}'", AuditKind.Decision, Unreadable },
        { "pending reservation's prescriber removed", "UPDATE decisions SET reservation_prescriber_npi = NULL WHERE decision_id = '{3}'", AuditKind.Decision, Unreadable },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Audit_chain_names_the_first_broken_record(string tampering, string sql, string kind, string reason)
    {
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, decisionIds[0], decisionIds[1], decisionIds[2], decisionIds[3]));

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.False(verification.IsIntact, tampering);
        Assert.Equal(kind, verification.FirstBreak!.Kind);
        Assert.Equal(reason, verification.FirstBreak.Reason);
        if (System.Text.RegularExpressions.Regex.Match(sql, "'((?:dsp|enc)-[a-z]+)'") is { Success: true } report)
        {
            Assert.Equal($"{(kind == AuditKind.Dispense ? PlatformA : PlatformB)}/{report.Groups[1].Value}", verification.FirstBreak.RecordId);
        }

        for (var i = 0; i < decisionIds.Count; i++)
        {
            if (kind == AuditKind.Decision && sql.Contains($"'{{{i}}}'", StringComparison.Ordinal))
            {
                Assert.Equal(decisionIds[i], verification.FirstBreak.RecordId);
            }
        }
    }

    /// <summary>
    /// Values the store keeps in reservation_state that a number read in C# takes for pending (1) while
    /// the history query's reservation_state = 1 does not match them: 2^32 + 1 on every store.
    /// </summary>
    protected virtual IReadOnlyList<string> StatesReadBackAsPending => ["4294967297"];

    [Fact]
    public async Task A_pending_reservation_edited_to_a_state_that_only_reads_back_as_pending_is_reported()
    {
        foreach (var forged in StatesReadBackAsPending)
        {
            var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
            await ExecuteAsync(dialect, $"UPDATE decisions SET reservation_state = {forged} WHERE decision_id = '{decisionIds[3]}'");

            var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

            Assert.False(verification.IsIntact, forged);
            Assert.Equal(decisionIds[3], verification.FirstBreak!.RecordId);
            Assert.Equal("an unknown reservation state", verification.FirstBreak.Reason);
        }
    }

    [Fact]
    public async Task An_unvouched_reservation_state_is_reported_at_its_decisions_own_link()
    {
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        var pendingLink = $"FROM audit_chain WHERE record_id = '{decisionIds[3]}'";
        var chain = await ScalarAsync(dialect, "SELECT chain " + pendingLink);
        var sequence = await ScalarAsync(dialect, "SELECT seq " + pendingLink);
        await ExecuteAsync(dialect, $"UPDATE decisions SET reservation_state = 3 WHERE decision_id = '{decisionIds[3]}'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal("ended without a release link", verification.FirstBreak!.Reason);
        Assert.Equal(decisionIds[3], verification.FirstBreak.RecordId);
        Assert.Equal(chain, verification.FirstBreak.Chain);
        Assert.Equal(sequence, verification.FirstBreak.Sequence);
        Assert.Equal(9, verification.LinksVerified);
    }

    [Fact]
    public async Task A_link_written_before_the_rules_columns_were_audited_still_verifies_and_its_audited_fields_still_count()
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        // Rewrite the prescription's link in the earlier form (nine fields), and the links after it on its chain.
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            string earlier;
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT platform_id, prescription_id, patient_key, fingerprint, decision_id, override_reason_code, override_comment, imported, issued_at FROM prescriptions WHERE prescription_id = 'rx-audit'";
                await using var reader = await read.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                earlier = AuditHash.Content(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetString(5), reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8));
            }

            await RechainAsync(connection, $"{PlatformA}/rx-audit", earlier);
        }

        var intact = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, "UPDATE prescriptions SET override_comment = 'nothing to see' WHERE prescription_id = 'rx-audit'");
        var edited = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(intact.IsIntact, intact.FirstBreak?.ToString());
        Assert.Equal(AuditKind.Prescription, edited.FirstBreak!.Kind);
    }

    /// <summary>Gives one link another content hash and recomputes its chain from there, as a writer of that content would have.</summary>
    private static async Task RechainAsync(System.Data.Common.DbConnection connection, string recordId, string content)
    {
        var links = new List<(int Chain, long Seq, string Kind, string RecordId, string Content, string Prev)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT chain, seq, kind, record_id, content_hash, prev_hash FROM audit_chain ORDER BY chain, seq";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                links.Add(((int)reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
            }
        }

        var target = links.Single(link => link.RecordId == recordId);
        string? previous = null;
        foreach (var link in links.Where(link => link.Chain == target.Chain && link.Seq >= target.Seq))
        {
            var linkContent = link.Seq == target.Seq ? content : link.Content;
            var prev = previous ?? link.Prev;
            var hash = AuditHash.Link(link.Seq, link.Kind, link.RecordId, linkContent, prev);
            await using var update = connection.CreateCommand();
            update.CommandText = $"UPDATE audit_chain SET content_hash = '{linkContent}', prev_hash = '{prev}', hash = '{hash}' WHERE chain = {link.Chain} AND seq = {link.Seq}";
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            previous = hash;
        }
    }

    [Fact]
    public async Task A_reservation_a_late_confirmation_found_expired_is_vouched_for_by_a_release_link()
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        var patient = NewPatient();
        var request = Request(patient);
        var decided = await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        await FailsWith(GuardErrorKind.FailedPrecondition, "RESERVATION_EXPIRED", () =>
            ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now, decided.Decision.DecisionId), Now + ReservationTtl, CancellationToken.None));

        var intact = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, $"UPDATE decisions SET released_at = released_at - 1 WHERE decision_id = '{decided.Decision.DecisionId}'");
        var edited = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(intact.IsIntact, intact.FirstBreak?.ToString());
        Assert.Equal(11, intact.LinksVerified);
        Assert.Equal(AuditKind.Release, edited.FirstBreak!.Kind);
        Assert.Equal(decided.Decision.DecisionId, edited.FirstBreak.RecordId);
    }

    [Fact]
    public async Task Decision_inserted_without_a_link_is_reported()
    {
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ForgeUnlinkedDecisionAsync(dialect, decisionIds[0]);

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        // Named, on its patient's chain, where its link would have been appended.
        var chain = await ScalarAsync(dialect, $"SELECT chain FROM audit_chain WHERE record_id = '{decisionIds[0]}'");
        Assert.False(verification.IsIntact);
        Assert.Equal("the decision has no audit link", verification.FirstBreak!.Reason);
        Assert.Equal("dec-forged", verification.FirstBreak.RecordId);
        Assert.Equal(chain, verification.FirstBreak.Chain);
        Assert.Equal(await ScalarAsync(dialect, $"SELECT MAX(seq) FROM audit_chain WHERE chain = {chain}") + 1, verification.FirstBreak.Sequence);
    }

    /// <summary>Each chain's last link, as the store holds it, in chain order.</summary>
    private static async Task<List<AuditAnchor>> ChainHeadsAsync(ILedgerDialect dialect)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(
            null, "SELECT chain, seq, hash FROM audit_chain a WHERE seq = (SELECT MAX(seq) FROM audit_chain b WHERE b.chain = a.chain) ORDER BY chain");
        await using var reader = await command.ExecuteReaderAsync();
        var heads = new List<AuditAnchor>();
        while (await reader.ReadAsync())
        {
            heads.Add(new AuditAnchor(checked((int)reader.GetInt64(0)), reader.GetInt64(1), reader.GetString(2)));
        }

        return heads;
    }

    /// <summary>Inserts dec-forged, a copy of the decision without its reservation, and no link for it.</summary>
    protected static Task ForgeUnlinkedDecisionAsync(ILedgerDialect dialect, string copiedFrom) =>
        ExecuteAsync(
            dialect,
            "INSERT INTO decisions SELECT 'dec-forged', platform_id, 'req-forged', request_fingerprint, patient_key, outcome, dry_run, policy_version, " +
            "evaluated_at, recorded_at, 0, NULL, NULL, res_drug_class, res_compounded, res_route, res_setting, res_dose_mg, res_total_mg, res_days_supply, " +
            $"res_refills_authorized, NULL, NULL, payload FROM decisions WHERE decision_id = '{copiedFrom}'");

    [Fact]
    public async Task A_dispense_inserted_without_a_link_is_reported()
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        const string columns = "prescription_id, patient_key, platform_patient_id, pharmacy_id, dispensed_at, fill_number, total_mg, days_supply, fingerprint, recorded_at";
        await ExecuteAsync(
            dialect,
            $"INSERT INTO dispenses (platform_id, dispense_id, {columns}) SELECT platform_id, 'dsp-forged', {columns} FROM dispenses WHERE dispense_id = 'dsp-audit'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal("the dispense has no audit link", verification.FirstBreak!.Reason);
        Assert.Equal($"{PlatformA}/dsp-forged", verification.FirstBreak.RecordId);
    }

    [Fact]
    public async Task Reports_whose_platform_and_id_join_to_one_linked_id_are_reported_as_not_pairing_up()
    {
        // Platform "platform-a/b" with id "c" joins to the id of a linked dispense "b/c" of platform-a: the
        // ids the SQL joins are all linked, one link too few. Placed past the last link, every link verified.
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        const string columns = "prescription_id, patient_key, platform_patient_id, pharmacy_id, dispensed_at, fill_number, total_mg, days_supply, fingerprint, recorded_at";
        var patient = new Domain.Identity.PatientKey((await ScalarTextAsync(dialect, "SELECT patient_key FROM dispenses WHERE dispense_id = 'dsp-audit'"))!);
        await ledger.RecordDispenseAsync(Dispense(patient, "rx-audit", "b/c", Now), CancellationToken.None);
        await ExecuteAsync(
            dialect,
            $"INSERT INTO dispenses (platform_id, dispense_id, {columns}) SELECT platform_id || '/b', 'c', {columns} FROM dispenses WHERE dispense_id = 'b/c'");
        var links = await ScalarAsync(dialect, "SELECT COUNT(*) FROM audit_chain");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(
            (AuditKind.Dispense, "*", links + 1, "the dispenses and their links do not pair up"),
            (verification.FirstBreak!.Kind, verification.FirstBreak.RecordId, verification.FirstBreak.Sequence, verification.FirstBreak.Reason));
        Assert.Equal(links, verification.LinksVerified);
    }

    [Fact]
    public async Task A_walk_reads_its_links_a_page_at_a_time_and_stops_reading_at_the_first_break()
    {
        // Nine links, two a page: five pages for a whole walk, one when the first link walked is broken. A walk
        // that read every link before checking the first (all of them in memory) would read five either way.
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        var intact = await ledger.VerifyAuditAsync(CancellationToken.None);
        var wholeWalk = ledger.AuditLinkPagesRead;
        var first = await ScalarTextAsync(dialect, "SELECT record_id FROM audit_chain ORDER BY chain, seq LIMIT 1");
        await ExecuteAsync(dialect, $"UPDATE decisions SET policy_version = 'sha256:forged' WHERE decision_id = '{first}'");

        var broken = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(intact.IsIntact, intact.FirstBreak?.ToString());
        Assert.Equal(5, wholeWalk);
        Assert.Equal((first, 0L), (broken.FirstBreak!.RecordId, broken.LinksVerified));
        Assert.Equal(1, ledger.AuditLinkPagesRead - wholeWalk);
    }

    [Fact]
    public async Task Of_two_links_with_chain_numbers_out_of_range_the_first_in_walk_order_is_named()
    {
        // The first decision's link (link 1 of its patient's chain) to the lower of two out-of-range chains, and
        // the same patient's last link (the evaluation's, later on that chain) to the higher: walk order is by
        // chain, then link.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, $"UPDATE audit_chain SET chain = 4294967297 WHERE kind = '{AuditKind.Decision}' AND record_id = '{decisionIds[0]}'");
        await ExecuteAsync(dialect, $"UPDATE audit_chain SET chain = 4294967298 WHERE kind = '{AuditKind.Encounter}' AND record_id = '{PlatformB}/enc-eval'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(
            (decisionIds[0], 1L, "the link's chain number is out of range"),
            (verification.FirstBreak!.RecordId, verification.FirstBreak.Sequence, verification.FirstBreak.Reason));
    }

    [Fact]
    public async Task A_guard_refuses_a_ledger_of_a_newer_schema_rather_than_write_what_it_lacks()
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, $"INSERT INTO ledger_schema (version) VALUES ({dialect.Migrations.Count + 1})");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.MigrateAsync(CancellationToken.None));

        Assert.Contains($"schema version {dialect.Migrations.Count + 1}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encounter_inserted_without_a_link_is_reported()
    {
        // A forged in-person evaluation would satisfy the rules that ask for one.
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        const string columns = "patient_key, platform_patient_id, clinician_npi, kind, occurred_at, location_state, monitoring_minutes, " +
            "bp_systolic, bp_diastolic, bp_measured_at, med_drug_class, med_compounded, med_route, med_setting, med_dose_mg, med_total_mg, " +
            "med_days_supply, med_refills_authorized, fingerprint, recorded_at";
        await ExecuteAsync(
            dialect,
            $"INSERT INTO encounters (platform_id, encounter_id, {columns}) SELECT platform_id, 'enc-forged', {columns} FROM encounters WHERE encounter_id = 'enc-audit'");
        var chain = await ScalarAsync(dialect, $"SELECT chain FROM audit_chain WHERE record_id = '{PlatformB}/enc-audit'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal("the encounter has no audit link", verification.FirstBreak!.Reason);
        Assert.Equal(AuditKind.Encounter, verification.FirstBreak.Kind);
        Assert.Equal($"{PlatformB}/enc-forged", verification.FirstBreak.RecordId);
        Assert.Equal(chain, verification.FirstBreak.Chain);
    }

    [Fact]
    public async Task Dispenses_and_encounters_recorded_before_they_were_chained_are_linked_by_the_upgrade()
    {
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync();
        var patient = NewPatient();
        await ledger.RecordPrescriptionAsync(Prescription(patient, "rx-old", Now - TimeSpan.FromDays(40), imported: true), Now, CancellationToken.None);
        await ledger.RecordEncounterAsync(
            Encounter(patient, "enc-old-2", Now - TimeSpan.FromDays(20), new Domain.Prescribing.BloodPressure(131, 85, Now - TimeSpan.FromDays(20)), Nasal),
            CancellationToken.None);
        await ledger.RecordDispenseAsync(Dispense(patient, "rx-old", "dsp-old", Now - TimeSpan.FromDays(39)), CancellationToken.None);
        await ledger.RecordEncounterAsync(Encounter(patient, "enc-old-1", Now - TimeSpan.FromDays(41), null, null), CancellationToken.None);
        // As a ledger below schema version 6 holds them: two reports unlinked (their links were the chain's
        // last), one already linked, which the upgrade must not link again.
        await ExecuteAsync(dialect, $"DELETE FROM audit_chain WHERE record_id IN ('{PlatformA}/dsp-old', '{PlatformB}/enc-old-1')", expectedRows: 2);
        await ExecuteAsync(dialect, "DELETE FROM ledger_schema WHERE version = 6");
        var before = await ledger.VerifyAuditAsync(CancellationToken.None);

        await ledger.MigrateAsync(CancellationToken.None);
        var upgraded = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ledger.MigrateAsync(CancellationToken.None);
        var again = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, "UPDATE encounters SET occurred_at = occurred_at + 86400000 WHERE encounter_id = 'enc-old-1'");
        var edited = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Contains("has no audit link", before.FirstBreak!.Reason, StringComparison.Ordinal);
        Assert.True(upgraded.IsIntact, upgraded.FirstBreak?.ToString());
        Assert.Equal(4, upgraded.LinksVerified);
        Assert.Equal(4, again.LinksVerified);
        Assert.Equal(AuditKind.Encounter, edited.FirstBreak!.Kind);
        Assert.Equal($"{PlatformB}/enc-old-1", edited.FirstBreak.RecordId);
        Assert.Equal("the audited record was changed after it was written", edited.FirstBreak.Reason);
    }

    [Fact]
    public async Task The_upgrade_links_reports_on_every_chain_from_each_head_or_genesis_and_writers_append_after_them()
    {
        var dialect = (await NewStoreAsync(1))[0];
        // Pages of 8 rows: several per table, one across the platforms' boundary, and for the 48
        // encounters whole pages only, so the last page read is empty.
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache()) { UpgradeRowsPerPage = 8 };
        await ledger.MigrateAsync(CancellationToken.None);
        var patients = Enumerable.Range(0, 48).Select(_ => NewPatient()).ToList();
        // No prescription on the first patient's chain, so the upgrade starts that chain from its genesis
        // (a store of one chain has no such chain: there the upgrade starts from the prescriptions' head).
        var genesisChain = dialect.AuditChainOf(patients[0]);
        var oneChain = patients.All(patient => dialect.AuditChainOf(patient) == genesisChain);
        var prescribed = patients.Where(patient => oneChain ? patient != patients[0] : dialect.AuditChainOf(patient) != genesisChain).ToList();
        foreach (var (patient, i) in prescribed.Select((patient, i) => (patient, i)))
        {
            await ledger.RecordPrescriptionAsync(Prescription(patient, $"rx-up-{i}", Now - TimeSpan.FromDays(40), imported: true), Now, CancellationToken.None);
        }

        // The reports' links are each chain's last, as a ledger below schema version 6 would have none.
        foreach (var (patient, i) in prescribed.Select((patient, i) => (patient, i)))
        {
            await ledger.RecordDispenseAsync(Dispense(patient, $"rx-up-{i}", $"dsp-up-{i}", Now - TimeSpan.FromDays(39)), CancellationToken.None);
        }

        foreach (var (patient, i) in patients.Select((patient, i) => (patient, i)))
        {
            // Ids that sort apart from the rest, and by byte, not by letter: the pages follow the key order.
            string[] oddlySorting = ["a", "a/b", "A", "é", "a b", "Z"];
            var encounter = Encounter(patient, i < oddlySorting.Length ? oddlySorting[i] : $"enc-up-{i}", Now - TimeSpan.FromDays(41), null, null);
            await ledger.RecordEncounterAsync(
                i % 3 == 0 ? encounter with { Entry = encounter.Entry with { PlatformId = PlatformA } } : encounter, CancellationToken.None);
        }

        await ExecuteAsync(dialect, "DELETE FROM audit_chain WHERE kind IN ('dispense', 'encounter')", expectedRows: prescribed.Count + patients.Count);
        await ExecuteAsync(dialect, "DELETE FROM ledger_schema WHERE version = 6");

        await ledger.MigrateAsync(CancellationToken.None);
        var upgraded = await ledger.VerifyAuditAsync(CancellationToken.None);
        var encountersLinked = await ScalarAsync(dialect, "SELECT COUNT(DISTINCT record_id) FROM audit_chain WHERE kind = 'encounter'");
        await ledger.RecordEncounterAsync(Encounter(patients[0], "enc-after-upgrade", Now, null, null), CancellationToken.None);
        await ledger.RecordDispenseAsync(Dispense(prescribed[0], "rx-up-0", "dsp-after-upgrade", Now), CancellationToken.None);
        var afterWrites = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(upgraded.IsIntact, upgraded.FirstBreak?.ToString());
        Assert.Equal(2 * prescribed.Count + patients.Count, upgraded.LinksVerified);
        Assert.Equal(patients.Count, encountersLinked);
        Assert.Equal(patients.Select(dialect.AuditChainOf).Distinct().Count(), upgraded.Heads.Count);
        Assert.Equal(AuditHash.GenesisOf(genesisChain), await ScalarTextAsync(dialect, $"SELECT prev_hash FROM audit_chain WHERE chain = {genesisChain} AND seq = 1"));
        Assert.Equal(
            oneChain ? AuditKind.Prescription : AuditKind.Encounter,
            await ScalarTextAsync(dialect, $"SELECT kind FROM audit_chain WHERE chain = {genesisChain} AND seq = 1"));
        Assert.True(afterWrites.IsIntact, afterWrites.FirstBreak?.ToString());
        Assert.Equal(upgraded.LinksVerified + 2, afterWrites.LinksVerified);
    }

    [Fact]
    public async Task A_break_is_reported_even_when_a_later_record_read_with_it_cannot_be_read()
    {
        // Reads of decisions, a prescription, a release and reports in one batch (on a store that takes
        // batches): the first decision the walk reaches edited, the last reserving one it reaches holding a
        // value the reader cannot take. The batch reads both; the walk must stop at the first.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        var walkOrder = new List<(long Chain, long Seq, string DecisionId)>();
        foreach (var decisionId in decisionIds)
        {
            var link = $"FROM audit_chain WHERE kind = '{AuditKind.Decision}' AND record_id = '{decisionId}'";
            walkOrder.Add((await ScalarAsync(dialect, "SELECT chain " + link), await ScalarAsync(dialect, "SELECT seq " + link), decisionId));
        }

        walkOrder.Sort();
        var edited = walkOrder[0].DecisionId;
        var unreadable = walkOrder.Last(entry => entry.DecisionId != decisionIds[0]).DecisionId; // decision 0 reserved nothing
        await ExecuteAsync(dialect, $"UPDATE decisions SET policy_version = 'sha256:forged' WHERE decision_id = '{edited}'");
        await ExecuteAsync(dialect, $"UPDATE decisions SET res_days_supply = 4294967297 WHERE decision_id = '{unreadable}'");

        var both = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, $"UPDATE decisions SET policy_version = 'sha256:0123abcd' WHERE decision_id = '{edited}'");
        var second = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.NotEqual(edited, unreadable);
        Assert.Equal((edited, "the audited record was changed after it was written"), (both.FirstBreak!.RecordId, both.FirstBreak.Reason));
        Assert.Equal(
            (unreadable, "the audited record holds a value the ledger cannot read as its column's type"),
            (second.FirstBreak!.RecordId, second.FirstBreak.Reason));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(300)]
    public async Task Records_read_in_batches_are_each_compared_with_their_own_link_past_the_first_batch(int? auditLinksPerPage)
    {
        // More links than one batch of record reads holds (256, on a store that takes batches), with
        // the record edited behind its link in the second batch, and a missing one in the third; read
        // in one page, or in pages of 300 links, which end a batch early.
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync(auditLinksPerPage);
        var patient = NewPatient();
        await RecordEvaluationsAsync(ledger, patient, 600, i => $"enc-batch-{i:D3}");

        var intact = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, "UPDATE encounters SET monitoring_minutes = 240 WHERE encounter_id = 'enc-batch-300'");
        await ExecuteAsync(dialect, "DELETE FROM encounters WHERE encounter_id = 'enc-batch-550'");
        var edited = await ledger.VerifyAuditAsync(CancellationToken.None);
        await ExecuteAsync(dialect, "UPDATE encounters SET monitoring_minutes = 0 WHERE encounter_id = 'enc-batch-300'");
        var deleted = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(intact.IsIntact, intact.FirstBreak?.ToString());
        Assert.Equal(600, intact.LinksVerified);
        Assert.Equal(($"{PlatformB}/enc-batch-300", 301L, "the audited record was changed after it was written"), (edited.FirstBreak!.RecordId, edited.FirstBreak.Sequence, edited.FirstBreak.Reason));
        Assert.Equal(300, edited.LinksVerified);
        Assert.Equal(($"{PlatformB}/enc-batch-550", 551L, "the audited record is missing"), (deleted.FirstBreak!.RecordId, deleted.FirstBreak.Sequence, deleted.FirstBreak.Reason));
        Assert.Equal(550, deleted.LinksVerified);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_decision_linked_twice_is_reported_at_its_second_link(bool withAnUnlinkedDecisionToEvenTheCount)
    {
        // The copy chains on correctly (the hashes are keyless; anchors are what pin a chain), so only
        // the pairing of decisions with their links shows it; with a forged unlinked decision beside
        // it, as many decisions as links, only the walk's own pairing does.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        if (withAnUnlinkedDecisionToEvenTheCount)
        {
            await ForgeUnlinkedDecisionAsync(dialect, decisionIds[0]);
        }

        var chain = await ScalarAsync(dialect, $"SELECT chain FROM audit_chain WHERE record_id = '{decisionIds[0]}'");
        var head = await ScalarAsync(dialect, $"SELECT MAX(seq) FROM audit_chain WHERE chain = {chain}");
        var headHash = await ScalarTextAsync(dialect, $"SELECT hash FROM audit_chain WHERE chain = {chain} AND seq = {head}");
        var content = await ScalarTextAsync(dialect, $"SELECT content_hash FROM audit_chain WHERE record_id = '{decisionIds[0]}'");
        var hash = AuditHash.Link(head + 1, AuditKind.Decision, decisionIds[0], content!, headHash!);
        await ExecuteAsync(
            dialect,
            "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) " +
            $"VALUES ({chain}, {head + 1}, '{AuditKind.Decision}', '{decisionIds[0]}', '{content}', '{headHash}', '{hash}', 0)");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal("a second link for the same decision", verification.FirstBreak!.Reason);
        Assert.Equal(decisionIds[0], verification.FirstBreak.RecordId);
        Assert.Equal(chain, verification.FirstBreak.Chain);
        Assert.Equal(head + 1, verification.FirstBreak.Sequence);
    }

    [Fact]
    public async Task An_anchor_catches_a_chain_cut_back_with_its_records_or_rewritten_from_there()
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        var patient = NewPatient();
        var chain = dialect.AuditChainOf(patient);
        var lastRequest = Request(patient);
        var last = (await ledger.DecideAsync(lastRequest, _ => Decision(lastRequest, Now, reserve: false), CancellationToken.None)).Decision;
        var anchored = await ledger.VerifyAuditAsync(CancellationToken.None);
        var anchors = anchored.Heads;
        var lastHash = await ScalarTextAsync(dialect, $"SELECT hash FROM audit_chain WHERE record_id = '{last.DecisionId}'");
        var chainCount = await ScalarAsync(dialect, "SELECT COUNT(DISTINCT chain) FROM audit_chain");
        var laterRequest = Request(NewPatient());
        var later = (await ledger.DecideAsync(laterRequest, _ => Decision(laterRequest, Now, reserve: false), CancellationToken.None)).Decision;

        // The chain grew: every anchor still holds.
        var grown = await ledger.VerifyAuditAsync(anchors, CancellationToken.None);

        // The last links deleted together with their decisions: each chain still verifies on its own.
        foreach (var decisionId in new[] { later.DecisionId, last.DecisionId })
        {
            await ExecuteAsync(dialect, $"DELETE FROM audit_chain WHERE record_id = '{decisionId}'");
            await ExecuteAsync(dialect, $"DELETE FROM decisions WHERE decision_id = '{decisionId}'");
        }

        var cutAlone = await ledger.VerifyAuditAsync(CancellationToken.None);
        var cut = await ledger.VerifyAuditAsync(anchors, CancellationToken.None);

        // A new link where the deleted one was: the chain verifies, the anchor names another hash.
        var againRequest = Request(patient);
        await ledger.DecideAsync(againRequest, _ => Decision(againRequest, Now, reserve: false), CancellationToken.None);
        var rewritten = await ledger.VerifyAuditAsync(anchors, CancellationToken.None);

        Assert.True(anchored.IsIntact, anchored.FirstBreak?.ToString());
        var head = Assert.Single(anchors, a => a.Chain == chain);
        Assert.Equal(lastHash, head.Hash);
        Assert.Equal(chainCount, anchors.Count);
        Assert.True(grown.IsIntact, grown.FirstBreak?.ToString());
        Assert.True(cutAlone.IsIntact, cutAlone.FirstBreak?.ToString());
        Assert.False(cut.IsIntact);
        Assert.Equal(chain, cut.FirstBreak!.Chain);
        Assert.Equal(head.Sequence, cut.FirstBreak.Sequence);
        Assert.Contains("cut back", cut.FirstBreak.Reason, StringComparison.Ordinal);
        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
        Assert.False(rewritten.IsIntact);
        Assert.Equal(chain, rewritten.FirstBreak!.Chain);
        Assert.Equal(AuditKind.Decision, rewritten.FirstBreak.Kind);
        Assert.Contains("rewritten", rewritten.FirstBreak.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4294967295)]
    public async Task An_anchor_numbered_below_1_is_refused_rather_than_compared(long sequence)
    {
        var (ledger, _, _) = await AuditedLedgerAsync();
        var head = (await ledger.VerifyAuditAsync(CancellationToken.None)).Heads[0];

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.VerifyAuditAsync([head with { Sequence = sequence }], CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Links_of_many_patients_verify_on_every_chain_and_a_break_names_its_chain(int? auditLinksPerPage)
    {
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync(auditLinksPerPage);
        var decisions = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            var request = Request(NewPatient());
            return (await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None)).Decision;
        }));
        var chains = decisions.Select(decision => dialect.AuditChainOf(decision.PatientKey)).Distinct().Count();

        var intact = await ledger.VerifyAuditAsync(CancellationToken.None);
        var tampered = decisions.OrderByDescending(decision => dialect.AuditChainOf(decision.PatientKey)).First();
        await ExecuteAsync(dialect, $"UPDATE decisions SET policy_version = 'sha256:forged' WHERE decision_id = '{tampered.DecisionId}'");
        var broken = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(intact.IsIntact, intact.FirstBreak?.ToString());
        Assert.Equal(40, intact.LinksVerified);
        Assert.Equal(chains, await ScalarAsync(dialect, "SELECT COUNT(DISTINCT chain) FROM audit_chain"));
        // Each chain's head, whichever page it fell on.
        Assert.Equal(await ChainHeadsAsync(dialect), intact.Heads);
        Assert.Equal(tampered.DecisionId, broken.FirstBreak!.RecordId);
        Assert.Equal(dialect.AuditChainOf(tampered.PatientKey), broken.FirstBreak.Chain);
    }

    [Fact]
    public async Task Links_the_store_appends_carry_the_hash_AuditHash_computes_for_any_text_and_follow_their_head()
    {
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync();
        var patient = NewPatient();
        // Ids are any text without control characters: accents, CJK, an emoji (a surrogate pair), quotes.
        var unicodeId = "rx-Zoë-東京-🙂-'\"-" + Guid.NewGuid().ToString("N");
        var reserving = Request(patient, "req-ü-" + Guid.NewGuid().ToString("N"), "fp-1");
        var decision = (await ledger.DecideAsync(reserving, _ => Decision(reserving, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.RecordPrescriptionAsync(Prescription(patient, unicodeId, Now, decision.DecisionId), Now, CancellationToken.None);
        var dryRun = Request(patient, "req-2", "fp-2");
        await ledger.DecideAsync(dryRun, _ => Decision(dryRun, Now, reserve: false), CancellationToken.None);

        var chain = dialect.AuditChainOf(patient);
        var links = new List<(long Seq, string Kind, string RecordId, string Content, string Prev, string Hash)>();
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"SELECT seq, kind, record_id, content_hash, prev_hash, hash FROM audit_chain WHERE chain = {chain} ORDER BY seq";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                links.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)));
            }
        }

        Assert.Equal([AuditKind.Decision, AuditKind.Prescription, AuditKind.Decision], links.Select(link => link.Kind));
        Assert.Equal($"{PlatformA}/{unicodeId}", links[1].RecordId);
        Assert.Equal([1L, 2L, 3L], links.Select(link => link.Seq));
        Assert.Equal(AuditHash.GenesisOf(chain), links[0].Prev);
        Assert.All(links.Skip(1).Zip(links), pair => Assert.Equal(pair.Second.Hash, pair.First.Prev));
        Assert.All(links, link => Assert.Equal(AuditHash.Link(link.Seq, link.Kind, link.RecordId, link.Content, link.Prev), link.Hash));
        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task Links_written_before_chains_were_split_stay_chain_zero_and_still_verify()
    {
        var dialect = (await NewStoreAsync(1))[0];
        // A ledger at schema version 2 (one chain, no chain column) holding two links.
        foreach (var migration in dialect.Migrations.Take(2))
        {
            await ExecuteAsync(dialect, migration, expectedRows: null);
        }

        await ExecuteAsync(dialect, "CREATE TABLE ledger_schema (version INTEGER NOT NULL)", expectedRows: null);
        await ExecuteAsync(dialect, "INSERT INTO ledger_schema (version) VALUES (1), (2)", expectedRows: 2);
        var first = AuditHash.Link(1, AuditKind.Release, "dec-old-1", "content-1", AuditHash.Genesis);
        var second = AuditHash.Link(2, AuditKind.Release, "dec-old-2", "content-2", first);
        await ExecuteAsync(
            dialect,
            "INSERT INTO audit_chain (seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) VALUES " +
            $"(1, 'release', 'dec-old-1', 'content-1', '{AuditHash.Genesis}', '{first}', 0), (2, 'release', 'dec-old-2', 'content-2', '{first}', '{second}', 0)",
            expectedRows: 2);

        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        await ledger.MigrateAsync(CancellationToken.None);
        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(2, await ScalarAsync(dialect, "SELECT COUNT(*) FROM audit_chain WHERE chain = 0"));
        Assert.Equal(second, await ScalarTextAsync(dialect, "SELECT hash FROM audit_chain WHERE chain = 0 AND seq = 2"));
        // The links themselves verify (sequence, previous hash, own hash); only the releases they
        // vouch for were never written in this test.
        Assert.Equal(0, verification.FirstBreak!.Chain);
        Assert.Equal(1, verification.FirstBreak.Sequence);
        Assert.Equal("the audited record is missing", verification.FirstBreak.Reason);
    }

    /// <summary>
    /// A new store with a denied decision, a confirmed one (with an override), a released one and a pending
    /// one; the confirmed prescription's dispense (dsp-audit), a supervised administration with a blood
    /// pressure (enc-audit) and an in-person evaluation without one (enc-eval): nine links, which its
    /// audit reads two a page, so that every tampering case is found across pages too.
    /// </summary>
    protected async Task<(SqlGuardLedger Ledger, ILedgerDialect Dialect, IReadOnlyList<string> DecisionIds)> AuditedLedgerAsync()
    {
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync(auditLinksPerPage: 2);
        var patient = NewPatient();

        var denied = Request(patient, "req-denied", "fp-denied");
        var deniedDecision = (await ledger.DecideAsync(denied, _ => Decision(denied, Now, reserve: false), CancellationToken.None)).Decision;
        var confirmed = Request(patient, "req-confirmed", "fp-confirmed");
        var confirmedDecision = (await ledger.DecideAsync(confirmed, _ => Decision(confirmed, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.RecordPrescriptionAsync(
            Prescription(patient, "rx-audit", Now, confirmedDecision.DecisionId) with { OverrideReasonCode = "CLINICIAN_ATTESTED", OverrideComment = "seen in clinic" },
            Now,
            CancellationToken.None);
        var released = Request(NewPatient(), "req-released", "fp-released");
        var releasedDecision = (await ledger.DecideAsync(released, _ => Decision(released, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.ReleaseDecisionAsync(PlatformA, releasedDecision.DecisionId, Now, CancellationToken.None);
        var pending = Request(NewPatient(), "req-pending", "fp-pending");
        var pendingDecision = (await ledger.DecideAsync(pending, _ => Decision(pending, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.RecordDispenseAsync(Dispense(patient, "rx-audit", "dsp-audit", Now), CancellationToken.None);
        await ledger.RecordEncounterAsync(
            Encounter(patient, "enc-audit", Now - TimeSpan.FromDays(3), new Domain.Prescribing.BloodPressure(128, 82, Now - TimeSpan.FromDays(3)), Nasal),
            CancellationToken.None);
        await ledger.RecordEncounterAsync(Encounter(patient, "enc-eval", Now - TimeSpan.FromDays(5), null, null), CancellationToken.None);
        return (ledger, dialect, [deniedDecision.DecisionId, confirmedDecision.DecisionId, releasedDecision.DecisionId, pendingDecision.DecisionId]);
    }

    protected static async Task ExecuteAsync(ILedgerDialect dialect, string sql, int? expectedRows = 1)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = await command.ExecuteNonQueryAsync();
        if (expectedRows is { } expected)
        {
            Assert.Equal(expected, rows);
        }
    }

    protected static async Task<long> ScalarAsync(ILedgerDialect dialect, string sql) =>
        Convert.ToInt64(await ScalarObjectAsync(dialect, sql), System.Globalization.CultureInfo.InvariantCulture);

    protected static async Task<string?> ScalarTextAsync(ILedgerDialect dialect, string sql) =>
        (string?)await ScalarObjectAsync(dialect, sql);

    private static async Task<object?> ScalarObjectAsync(ILedgerDialect dialect, string sql)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
