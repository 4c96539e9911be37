using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The audit chain: every decision, recorded prescription (with its override), release, dispense and
/// encounter appends a link, in the same transaction as the row it vouches for, hashing the row's audited content and
/// the previous link of its chain (a patient's links all go to one chain, see
/// <see cref="ILedgerDialect.AuditChainOf"/>). <see cref="VerifyAuditAsync"/> walks the chains and
/// recomputes each row's hash.
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>
    /// The command text that writes an audited row and appends its link: the chain's lock first
    /// (where the store has one; held until commit), then the row, then the link, whose sequence
    /// number and previous hash the insert reads from the chain's head and whose hash it computes
    /// there (<see cref="ILedgerDialect.AuditLinkHashSql"/>). One round trip for the whole append.
    /// </summary>
    private static string Audited(ILedgerDialect dialect, string rowSql) =>
        Before(dialect.AuditChainLockSql) + rowSql + ";\n" + AuditLinkSql(dialect);

    /// <summary>The statement of <see cref="Audited"/> that appends the link (parameters of <see cref="WithAuditLink"/>).</summary>
    private static string AuditLinkSql(ILedgerDialect dialect) =>
        "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) " +
        (dialect.BuffersInsertFromItself ? AuditLinkValues(dialect) : AuditLinkFromHead(dialect));

    // The head read once, in a join.
    private static string AuditLinkFromHead(ILedgerDialect dialect) =>
        "SELECT @link_chain, link.seq, @link_kind, @link_record_id, @link_content_hash, link.prev, " +
        dialect.AuditLinkHashSql("link.seq", "@link_kind", "@link_record_id", "@link_content_hash", "link.prev") + ", @link_recorded_at " +
        "FROM (SELECT COALESCE(head.seq, 0) + 1 AS seq, COALESCE(head.hash, @link_genesis) AS prev FROM (SELECT 1 AS one) AS anchor " +
        "LEFT JOIN (SELECT seq, hash FROM audit_chain WHERE chain = @link_chain ORDER BY seq DESC LIMIT 1) AS head ON 1 = 1) AS link";

    // The same link from one row of VALUES: each use of the head is a scalar sub-query (an index
    // seek each), which spares a store that buffers the join form two temporary tables per link.
    private static string AuditLinkValues(ILedgerDialect dialect)
    {
        const string seq = "(COALESCE((SELECT seq FROM audit_chain WHERE chain = @link_chain ORDER BY seq DESC LIMIT 1), 0) + 1)";
        const string prev = "COALESCE((SELECT hash FROM audit_chain WHERE chain = @link_chain ORDER BY seq DESC LIMIT 1), @link_genesis)";
        return $"VALUES (@link_chain, {seq}, @link_kind, @link_record_id, @link_content_hash, {prev}, " +
            dialect.AuditLinkHashSql(seq, "@link_kind", "@link_record_id", "@link_content_hash", prev) + ", @link_recorded_at)";
    }

    /// <summary>The parameters of <see cref="Audited"/>'s link, for a row of the patient's chain.</summary>
    private DbCommand WithAuditLink(DbCommand command, PatientKey patientKey, string kind, string recordId, string contentHash) =>
        WithAuditLink(command, dialect.AuditChainOf(patientKey), kind, recordId, contentHash);

    private DbCommand WithAuditLink(DbCommand command, int chain, string kind, string recordId, string contentHash)
    {
        if (dialect.AuditChainLockSql is not null)
        {
            command.With("@audit_chain_lock", dialect.AuditChainLockKey(chain));
        }

        return command
            .With("@link_chain", chain)
            .With("@link_kind", kind)
            .With("@link_record_id", recordId)
            .With("@link_content_hash", contentHash)
            .With("@link_genesis", AuditHash.GenesisOf(chain))
            .With("@link_recorded_at", DateTimeOffset.UtcNow);
    }

    /// <summary>Walks every chain from its genesis; the first broken link found is reported, with its chain.</summary>
    public Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken) => VerifyAuditAsync([], cancellationToken);

    /// <summary>
    /// Walks every chain from its genesis, then checks the anchors; the first broken link or anchor
    /// found is reported, with its chain. Intact, it gives each chain's head as the next anchors. An
    /// offline job: its statements run without the command timeout of a check's (some read whole tables).
    /// </summary>
    public Task<AuditVerification> VerifyAuditAsync(IReadOnlyCollection<AuditAnchor> anchors, CancellationToken cancellationToken) =>
        anchors.FirstOrDefault(anchor => anchor.Sequence < 1) is { } unplaced
            ? throw new ArgumentOutOfRangeException(nameof(anchors), unplaced, "a chain's links are numbered from 1")
            : InReadAsync(async connection =>
        {
            await using var transaction = await dialect.BeginSnapshotAsync(connection, cancellationToken);
            if (await LinkOfChainOutOfRangeAsync(connection, transaction, cancellationToken) is { } outOfRange)
            {
                return new AuditVerification(0, outOfRange);
            }

            var chain = -1;
            var previous = string.Empty;
            var expected = 1L;
            var verified = 0L;
            var linkedOnce = RecordsWithOneLinkEach.ToDictionary(paired => paired.Kind, _ => new RecordIdSet(), StringComparer.Ordinal);
            var released = new RecordIdSet();
            var recorded = new RecordIdSet();
            var heads = new Dictionary<int, AuditLinkRow>();
            var anchored = anchors.Select(anchor => (anchor.Chain, anchor.Sequence)).Distinct().ToDictionary(key => key, _ => (AuditLinkRow?)null);
            await using var recordReads = new KeptCommands(connection, transaction);
            await foreach (var page in AuditLinkPagesAsync(connection, transaction, cancellationToken))
            {
                RecordFinding[] window = [];
                var windowStart = 0;
                async Task<string?> RecordBrokenAtAsync(int index)
                {
                    if (!connection.CanCreateBatch)
                    {
                        return await RecordBrokenAsync(recordReads, page[index], cancellationToken);
                    }

                    if (index >= windowStart + window.Length)
                    {
                        (window, windowStart) = (await RecordsBrokenAsync(connection, transaction, page, index, cancellationToken), index);
                    }

                    return window[index - windowStart].Result();
                }

                for (var index = 0; index < page.Count; index++)
                {
                    var link = page[index];
                    if (link.Chain != chain)
                    {
                        (chain, previous, expected) = (link.Chain, AuditHash.GenesisOf(link.Chain), 1L);
                    }

                    var broken = link.Seq != expected ? $"expected link {expected}: a link was removed or reordered"
                        : link.Prev != previous ? "does not follow the previous link"
                        : link.Hash != AuditHash.Link(link.Seq, link.Kind, link.RecordId, link.Content, link.Prev) ? "the link itself was edited"
                        : linkedOnce.TryGetValue(link.Kind, out var once) && !once.Add(link.RecordId) ? $"a second link for the same {link.Kind}"
                        : await RecordBrokenAtAsync(index);
                    if (broken is not null)
                    {
                        return new AuditVerification(verified, new AuditBreak(link.Seq, link.Kind, link.RecordId, broken) { Chain = link.Chain });
                    }

                    (link.Kind == AuditKind.Release ? released : link.Kind == AuditKind.Prescription ? recorded : null)?.Add(link.RecordId);
                    if (anchored.ContainsKey((link.Chain, link.Seq)))
                    {
                        anchored[(link.Chain, link.Seq)] = link;
                    }

                    // The highest link of each chain: a chain the walk comes back to (a key of another storage class on
                    // SQLite, reported after the walk) keeps it, and a record without a link is placed after it.
                    if (!heads.TryGetValue(link.Chain, out var head) || link.Seq > head.Seq)
                    {
                        heads[link.Chain] = link;
                    }

                    previous = link.Hash;
                    expected++;
                    verified++;
                }
            }

            foreach (var paired in RecordsWithOneLinkEach)
            {
                await using var count = connection.Command(transaction, $"SELECT COUNT(*) FROM {paired.Table}").Unhurried();
                var rows = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
                if (rows != linkedOnce[paired.Kind].Count)
                {
                    return new AuditVerification(verified, await RecordWithoutLinkAsync(connection, transaction, heads, verified, linkedOnce[paired.Kind], paired, cancellationToken));
                }
            }

            if (await UnvouchedReservationStateAsync(connection, transaction, released, recorded, cancellationToken) is { } unvouched)
            {
                return new AuditVerification(verified, await AtLinkOfAsync(connection, transaction, AuditKind.Decision, unvouched.DecisionId, unvouched.Reason, cancellationToken));
            }

            foreach (var (table, keyColumns, kind) in AuditedTables)
            {
                if (await dialect.FirstValueOfAnotherTypeAsync(connection, transaction, table, keyColumns, cancellationToken) is { } mistyped)
                {
                    return new AuditVerification(verified, await AtLinkOfAsync(connection, transaction, kind, mistyped.RecordId, mistyped.Reason, cancellationToken));
                }
            }

            // Each chain's links verified contiguous from 1, so an anchor at or below its chain's head was walked.
            foreach (var anchor in anchors)
            {
                if (!heads.TryGetValue(anchor.Chain, out var head) || anchor.Sequence > head.Seq || anchored[(anchor.Chain, anchor.Sequence)] is not { } link)
                {
                    return new AuditVerification(verified, new AuditBreak(anchor.Sequence, "anchor", "*", "the anchored link is gone: the chain was cut back before it") { Chain = anchor.Chain });
                }

                if (link.Hash != anchor.Hash)
                {
                    return new AuditVerification(
                        verified, new AuditBreak(anchor.Sequence, link.Kind, link.RecordId, "the anchored link has another hash: the chain was rewritten from there on") { Chain = anchor.Chain });
                }
            }

            return new AuditVerification(verified, null) { Heads = [.. heads.Values.OrderBy(head => head.Chain).Select(head => new AuditAnchor(head.Chain, head.Seq, head.Hash))] };
        }, cancellationToken);

    /// <summary>
    /// The state as the rules' own SQL compares it (reservation_state = 1), -1 for anything else: read as
    /// a number in C#, an edited 4294967297 (or on SQLite 1.5, '1x') would pass for pending while the
    /// history query no longer finds the reservation.
    /// </summary>
    private static readonly string ReservationStateAsTheRulesSeeIt =
        "CASE " + string.Concat(Enum.GetValues<ReservationState>().Select(state => $"WHEN d.reservation_state = {(int)state} THEN {(int)state} ")) + "ELSE -1 END";

    /// <summary>
    /// A decision's reservation state is not in its own link (it changes), but every change is vouched
    /// for by another: a confirmed one by the verified link of the prescription that names it, a released
    /// or expired one by its release link. A state with no such link was edited in the store, which could
    /// free a patient for a second prescription. The first decision so found, or null.
    /// </summary>
    private static async Task<(string DecisionId, string Reason)?> UnvouchedReservationStateAsync(
        DbConnection connection, DbTransaction transaction, RecordIdSet released, RecordIdSet recorded, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            transaction,
            "SELECT d.decision_id, d.platform_id, " + ReservationStateAsTheRulesSeeIt + ", d.reservation_expires_at, d.confirmed_prescription_id, p.decision_id " +
            "FROM decisions d LEFT JOIN prescriptions p ON p.platform_id = d.platform_id AND p.prescription_id = d.confirmed_prescription_id " +
            "WHERE d.reservation_state <> 0 OR d.reservation_expires_at IS NOT NULL ORDER BY d.decision_id").Unhurried();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var decisionId = reader.GetString(0);
            var reserved = !reader.IsDBNull(3);
            string? reason = (ReservationState)Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) switch
            {
                _ when !reserved => "a reservation state on a decision that reserved nothing",
                ReservationState.None => "the reservation was removed",
                ReservationState.Pending when released.Contains(decisionId) => "a released reservation is pending again",
                ReservationState.Pending => null,
                ReservationState.Confirmed when reader.IsDBNull(4) || !recorded.Contains(ReportRecordId.Join(reader.GetString(1), reader.GetString(4))) || reader.GetStringOrNull(5) != decisionId =>
                    "confirmed without a recorded prescription that names it",
                ReservationState.Confirmed => null,
                ReservationState.Released or ReservationState.Expired when !released.Contains(decisionId) => "ended without a release link",
                ReservationState.Released or ReservationState.Expired => null,
                _ => "an unknown reservation state",
            };
            if (reason is not null)
            {
                return (decisionId, reason);
            }
        }

        return null;
    }

    /// <summary>A recorded prescription's audited columns, by its key.</summary>
    private static readonly string FindPrescriptionSql =
        "SELECT platform_id, prescription_id, patient_key, fingerprint, decision_id, override_reason_code, override_comment, imported, issued_at, " +
        "prescriber_npi, prescriber_dea, " + MedicationColumns.List(string.Empty) + " " +
        "FROM prescriptions WHERE platform_id = @platform_id AND prescription_id = @prescription_id";

    /// <summary>The audited content of the prescription row the reader is on, in the form of the content the link holds.</summary>
    private static string PrescriptionContentOf(DbDataReader reader, string written)
    {
        object?[] audited =
        [
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetStringOrNull(4),
            reader.GetStringOrNull(5), reader.GetStringOrNull(6), reader.GetInt64(7), reader.GetInt64(8),
        ];
        var current = PrescriptionContent(audited, reader.GetString(9), reader.GetStringOrNull(10), reader.ReadMedication(11)!);
        return current == written ? current : AuditHash.Content(audited);
    }

    /// <summary>
    /// A decision's immutable fields and its reply's bytes; with a reservation, also the medication and
    /// prescriber it holds the patient for, which the rules read (DUPLICATE_ACTIVE_KETAMINE, CUMULATIVE_DOSE).
    /// A decision without one keeps the earlier form, so the dry runs most checks are cost nothing more.
    /// </summary>
    private static string DecisionContent(DecisionRecord decision) =>
        decision.Reservation is not { } reservation
            ? DecisionContentBeforeReservations(decision)
            : AuditHash.Content([.. DecisionFields(decision), "reservation", reservation.PrescriberNpi, .. MedicationFields(reservation.Medication)]);

    private static string DecisionContentBeforeReservations(DecisionRecord decision) => AuditHash.Content(DecisionFields(decision));

    private static object?[] DecisionFields(DecisionRecord decision) =>
    [
        decision.DecisionId,
        decision.PlatformId,
        decision.RequestId,
        decision.RequestFingerprint,
        decision.PatientKey.Value,
        (long)decision.Outcome,
        decision.DryRun ? 1L : 0L,
        decision.PolicyVersion,
        decision.EvaluatedAt.ToUnixTimeMilliseconds(),
        decision.Reservation?.ExpiresAt.ToUnixTimeMilliseconds(),
        decision.Payload,
    ];

    /// <summary>A recorded prescription as the rules read it: who prescribed what, besides the earlier form's ids, decision and override.</summary>
    private static string PrescriptionContent(StoredPrescription prescription, long issuedAtMs) => PrescriptionContent(
        [
            prescription.Entry.PlatformId,
            prescription.Entry.PrescriptionId,
            prescription.PatientKey.Value,
            prescription.Fingerprint,
            prescription.DecisionId,
            prescription.OverrideReasonCode,
            prescription.OverrideComment,
            prescription.Entry.Imported ? 1L : 0L,
            issuedAtMs,
        ],
        prescription.Entry.PrescriberNpi,
        prescription.PrescriberDea,
        prescription.Entry.Medication);

    private static string PrescriptionContent(object?[] earlierFields, string prescriberNpi, string? prescriberDea, Medication medication) =>
        AuditHash.Content([.. earlierFields, "prescribed", prescriberNpi, prescriberDea, .. MedicationFields(medication)]);

    private static object?[] MedicationFields(Medication medication) =>
    [
        (long)medication.DrugClass,
        medication.Compounded ? 1L : 0L,
        (long)medication.Route,
        (long)medication.Setting,
        medication.DoseMg,
        medication.TotalMg,
        (long)medication.DaysSupply,
        (long)medication.RefillsAuthorized,
    ];

    private static string ReleaseContent(string decisionId, long releasedAtMs) => AuditHash.Content(decisionId, releasedAtMs);
}
