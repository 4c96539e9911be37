using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;

using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>The store contract on the embedded SQLite file.</summary>
public sealed class SqliteLedgerContractTests(SqliteLedgerContractTests.Store store)
    : LedgerContractTests, IClassFixture<SqliteLedgerContractTests.Store>
{
    protected override ILedgerDialect SharedStore => store.Dialect;

    protected override Task<IReadOnlyList<ILedgerDialect>> CreateDialectsOverNewStoreAsync(int instances)
    {
        var path = store.NewDatabasePath();
        return Task.FromResult<IReadOnlyList<ILedgerDialect>>(
            [.. Enumerable.Range(0, instances).Select(_ => new SqliteDialect(path))]);
    }

    protected override async Task<string> QueryPlanAsync(string sql)
    {
        await using var connection = await store.Dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(null, "EXPLAIN QUERY PLAN " + sql);
        return await LinesOfAsync(command, 3);
    }

    protected override string IndexDefinitionSql => "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = @name";

    // SQLite keeps a real or a text that is not an integer as it is, and reads it back as 1.
    protected override IReadOnlyList<string> StatesReadBackAsPending => ["4294967297", "1.5", "'1x'"];

    [Fact]
    public async Task A_patient_key_retyped_as_a_blob_hides_the_record_from_the_history_and_is_reported()
    {
        // The blob reads back as the same text (the audited content is unchanged), but the history's
        // patient_key = @key, a text, no longer matches it: the prescription and the pending
        // reservation drop out of the patient's history.
        foreach (var (table, key, kind, recordOf) in new (string, string, string, Func<IReadOnlyList<string>, string>)[]
        {
            ("prescriptions", "prescription_id = 'rx-audit'", AuditKind.Prescription, _ => $"{PlatformA}/rx-audit"),
            ("decisions", "decision_id = '{3}'", AuditKind.Decision, ids => ids[3]),
        })
        {
            var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
            var where = key.Replace("{3}", decisionIds[3], StringComparison.Ordinal);
            await using var connection = await dialect.OpenAsync(CancellationToken.None);
            var patient = new PatientKey((string)(await connection.Command(null, $"SELECT patient_key FROM {table} WHERE {where}").ExecuteScalarAsync())!);
            var before = await ledger.LoadHistoryAsync(patient, CancellationToken.None);
            await ExecuteAsync(dialect, $"UPDATE {table} SET patient_key = CAST(patient_key AS BLOB) WHERE {where}");

            var after = await ledger.LoadHistoryAsync(patient, CancellationToken.None);
            var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

            Assert.Equal(1, before.Prescriptions.Count + before.Reservations.Count);
            Assert.Equal(0, after.Prescriptions.Count + after.Reservations.Count);
            Assert.False(verification.IsIntact, table);
            Assert.Equal(kind, verification.FirstBreak!.Kind);
            Assert.Equal(recordOf(decisionIds), verification.FirstBreak.RecordId);
            Assert.Equal("patient_key holds a blob where its column declares TEXT", verification.FirstBreak.Reason);
        }
    }

    [Fact]
    public async Task A_time_edited_to_a_fraction_of_a_millisecond_is_reported()
    {
        // Read back as the same whole milliseconds, so the audited content is unchanged, while SQL
        // compares the fraction.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, $"UPDATE decisions SET reservation_expires_at = reservation_expires_at + 0.5 WHERE decision_id = '{decisionIds[3]}'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(decisionIds[3], verification.FirstBreak!.RecordId);
        Assert.Equal("reservation_expires_at holds a real where its column declares INTEGER", verification.FirstBreak.Reason);
    }

    public static TheoryData<string, string, int, long, string, long> ChainNumbersOfAnotherClass => new()
    {
        // Read as the reader's GetInt64 reads them (a real truncated, a text or blob by its integer prefix):
        // the walk's pre-check judges the range the same way, so nothing it lets through overflows the walk.
        { "the last link's chain a text of 99999999999 and a tail", "SET chain = '99999999999e-10x' WHERE record_id LIKE '%/enc-eval'", -1, 9, "the link's chain number is out of range", 0 },
        { "the last link's chain a real just under 2^31", "SET chain = 2147483647.5 WHERE record_id LIKE '%/enc-eval'", 2147483647, 9, "expected link 1: a link was removed or reordered", 8 },
        { "the first link's chain a text of 3 and a tail", "SET chain = '3e9x' WHERE seq = 1", 0, 2, "expected link 1: a link was removed or reordered", 0 },
        { "the first link's chain a blob of 3000000000", "SET chain = CAST('3000000000' AS BLOB) WHERE seq = 1", -1, 1, "the link's chain number is out of range", 0 },
        // Read back as chain 0, it verifies in the walk; the check of storage classes names it, past the last link.
        { "the last link's chain made fractional", "SET chain = chain + 0.5 WHERE record_id LIKE '%/enc-eval'", 0, 10, "chain holds a real where its column declares INTEGER", 9 },
    };

    [Theory]
    [MemberData(nameof(ChainNumbersOfAnotherClass))]
    public async Task A_chain_number_of_another_storage_class_is_reported_not_thrown(string tampering, string set, int chain, long sequence, string reason, long verified)
    {
        var (ledger, dialect, _) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, "UPDATE audit_chain " + set);

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal((chain, sequence, reason, verified), (verification.FirstBreak!.Chain, verification.FirstBreak.Sequence, verification.FirstBreak.Reason, verification.LinksVerified));
        Assert.False(verification.IsIntact, tampering);
    }

    [Fact]
    public async Task A_record_without_a_link_is_placed_after_its_chains_highest_link_when_the_walk_comes_back_to_that_chain()
    {
        // A copy of the release link as link 1 of chain 5, and another as link 1 of chain '0abc': a text,
        // sorted after every number and read back as chain 0, so the walk comes back to chain 0 after 5.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        var content = await ScalarTextAsync(dialect, $"SELECT content_hash FROM audit_chain WHERE kind = '{AuditKind.Release}' AND record_id = '{decisionIds[2]}'");
        foreach (var (chainSql, chain) in new[] { ("5", 5), ("'0abc'", 0) })
        {
            var genesis = AuditHash.GenesisOf(chain);
            await ExecuteAsync(
                dialect,
                "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) " +
                $"VALUES ({chainSql}, 1, '{AuditKind.Release}', '{decisionIds[2]}', '{content}', '{genesis}', '{AuditHash.Link(1, AuditKind.Release, decisionIds[2], content!, genesis)}', 0)");
        }

        await ForgeUnlinkedDecisionAsync(dialect, decisionIds[0]);

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(("dec-forged", 0, 10L, "the decision has no audit link"), (verification.FirstBreak!.RecordId, verification.FirstBreak.Chain, verification.FirstBreak.Sequence, verification.FirstBreak.Reason));
        Assert.Equal(11, verification.LinksVerified);
    }

    [Fact]
    public async Task A_link_edited_to_another_storage_class_is_reported_at_that_link()
    {
        // The release link, not the decision's link that shares its record id.
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, $"UPDATE audit_chain SET recorded_at = recorded_at + 0.5 WHERE kind = '{AuditKind.Release}' AND record_id = '{decisionIds[2]}'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(AuditKind.Release, verification.FirstBreak!.Kind);
        Assert.Equal(decisionIds[2], verification.FirstBreak.RecordId);
        Assert.Equal("recorded_at holds a real where its column declares INTEGER", verification.FirstBreak.Reason);
    }

    [Fact]
    public async Task A_decision_and_its_audit_link_are_written_without_temporary_tables()
    {
        // Every check writes these: an INSERT … SELECT of audit_chain from itself made SQLite open
        // and destroy two temporary b-trees per decision (a pager and page cache each).
        await using var connection = (SqliteConnection)await store.Dialect.OpenAsync(CancellationToken.None);
        connection.CreateFunction("audit_link_hash", (long _, string _, byte[] _, string _, string _) => string.Empty);
        Assert.Equal(3, Ledger.DecisionStatementsSql.Count);
        foreach (var statement in Ledger.DecisionStatementsSql)
        {
            var explained = System.Text.RegularExpressions.Regex.Replace(statement, "@[a-z_]+", "NULL");
            await using var command = connection.Command(null, "EXPLAIN " + explained);
            var opcodes = await LinesOfAsync(command, 1);

            Assert.Contains("Insert", opcodes, StringComparison.Ordinal);
            Assert.DoesNotContain("OpenEphemeral", opcodes, StringComparison.Ordinal);
            Assert.DoesNotContain("OpenAutoindex", opcodes, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_audit_link_of_a_record_id_with_a_nul_hashes_the_whole_id()
    {
        // The gRPC API refuses control characters in ids, but the ledger must not depend on it: a text
        // argument reaches an SQLite function cut at its first NUL (PostgreSQL refuses NUL in text).
        var patient = NewPatient();
        await Ledger.RecordPrescriptionAsync(Prescription(patient, "rx-nul\0after-" + Guid.NewGuid().ToString("N"), Now), Now, CancellationToken.None);

        Assert.True((await Ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task Under_continuous_writes_the_wal_starts_over_instead_of_growing_with_every_commit()
    {
        var path = store.NewDatabasePath();
        var metrics = new LedgerMetrics();
        await using var dialect = new SqliteDialect(path, walRestartFrames: 64, checkpointInterval: TimeSpan.FromMilliseconds(50), metrics);
        var ledger = await MigratedAsync(dialect, metrics);

        await WriteContinuouslyAsync(ledger, writers: 16, decisionsEach: 150);

        // The WAL header's checkpoint sequence counts the times the WAL started over. Measured here
        // (background checkpoints every 50 ms, so that this short run sees about 20) with the writer's catch-up: 10-12 restarts, a 5 MB WAL file; with it switched off: 5-6
        // restarts (a background checkpoint now and then finds the writer idle), 7.9-24 MB. So this
        // bounds the WAL under load; it does not single out the catch-up from those lucky restarts.
        var wal = new FileInfo(path + "-wal").Length;
        var restarts = WalRestarts(path + "-wal");
        Assert.True(restarts >= 5, $"{restarts} restarts, WAL {wal} B");
        Assert.True(wal < 8 * 1024 * 1024, $"{restarts} restarts, WAL {wal} B");

        // Both kinds of checkpoint ran and were timed.
        var totals = metrics.Snapshot();
        Assert.True(totals.BackgroundCheckpoints >= 1 && totals.BackgroundCheckpointSeconds > 0, $"{totals}");
        Assert.True(totals.WriterCheckpoints >= 1 && totals.WriterCheckpointSeconds > 0, $"{totals}");
    }

    [Fact]
    public async Task Group_commits_and_wal_fsyncs_are_counted_with_the_writes_they_carried()
    {
        var metrics = new LedgerMetrics();
        await using var dialect = new SqliteDialect(store.NewDatabasePath(), metrics);
        var ledger = await MigratedAsync(dialect, metrics);
        var before = metrics.Snapshot();

        var requests = Enumerable.Range(0, 40).Select(_ => Request(NewPatient())).ToArray();
        await Task.WhenAll(requests.Select(request =>
            ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None)));
        var during = metrics.Snapshot().Since(before);
        Assert.Equal(40, during.TransactionDecisions);
        Assert.Equal(0, during.SingleCommandDecisions);
        Assert.Equal(40, during.GroupCommitWrites);
        Assert.InRange(during.GroupCommits, 1, 40);
        Assert.True(during.WalSyncs >= 1, $"{during.WalSyncs} fsyncs");
        Assert.True(during.WalSyncSeconds > 0);

        // A replay runs in the writer (one unit of a commit) but writes no decision.
        var beforeReplay = metrics.Snapshot();
        Assert.True((await ledger.DecideAsync(requests[0], _ => Decision(requests[0], Now, reserve: false), CancellationToken.None)).Replayed);
        var replay = metrics.Snapshot().Since(beforeReplay);
        Assert.Equal((0L, 1L), (replay.TransactionDecisions, replay.GroupCommitWrites));
    }

    [Fact]
    public async Task Writes_queued_while_the_writer_is_busy_share_one_group_commit()
    {
        var metrics = new LedgerMetrics();
        await using var dialect = new SqliteDialect(store.NewDatabasePath(), metrics);
        var ledger = await MigratedAsync(dialect, metrics);
        var before = metrics.Snapshot();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // Without a cache the decision is made inside the writer's unit: holding it holds the writer.
        var first = Request(NewPatient());
        var holding = ledger.DecideAsync(first, _ =>
        {
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return Decision(first, Now, reserve: false);
        }, CancellationToken.None);
        var others = Enumerable.Range(0, 39).Select(_ => Request(NewPatient())).ToArray();
        Task<DecideResult>[] queued;
        try
        {
            Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the first write never reached the writer");
            queued = [.. others.Select(request => ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None))];
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (dialect.QueuedWrites < others.Length)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"{dialect.QueuedWrites} writes queued");
                await Task.Delay(10);
            }
        }
        finally
        {
            release.Set();
        }

        await holding;
        await Task.WhenAll(queued);

        // The held write's commit, then one commit for the 39 that queued behind it.
        var during = metrics.Snapshot().Since(before);
        Assert.Equal((2L, 40L, 40L), (during.GroupCommits, during.GroupCommitWrites, during.TransactionDecisions));
    }

    /// <summary>The WAL header's checkpoint sequence number: bytes 12-15, big-endian.</summary>
    private static uint WalRestarts(string walPath)
    {
        using var file = new FileStream(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[16];
        file.ReadExactly(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }

    [Fact]
    public async Task A_decision_and_a_read_that_saw_it_are_answered_only_once_the_wal_is_synced()
    {
        await using var dialect = new SqliteDialect(store.NewDatabasePath());
        var ledger = await MigratedWithOneDecisionAsync(dialect);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dialect.SyncGate = () => gate.Task;
        var patient = NewPatient();
        var request = Request(patient);

        var deciding = ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
        Task<PatientHistory> reading;
        Task<DecideResult> reusing;
        try
        {
            // Committed, so a reader sees it, but not yet synced: neither is answered.
            while (await DecisionsOfAsync(dialect, patient) == 0)
            {
                await Task.Delay(10);
            }

            reading = ledger.LoadHistoryAsync(patient, CancellationToken.None);
            reusing = ledger.DecideAsync(
                request with { RequestFingerprint = "check-fp-2" }, _ => Decision(request, Now, reserve: false), CancellationToken.None);
            await Task.Delay(200);
            Assert.False(deciding.IsCompleted);
            Assert.False(reading.IsCompleted);
            Assert.False(reusing.IsCompleted); // its error rests on the decision not yet synced
        }
        finally
        {
            // Also on failure: the dialect's disposal waits for the held sync.
            gate.TrySetResult();
        }

        var decided = await deciding;
        var history = await reading;
        Assert.NotNull(decided.Decision.Reservation);
        Assert.Equal(decided.Decision.DecisionId, Assert.Single(history.Reservations).DecisionId);
        await FailsWith(GuardErrorKind.AlreadyExists, "REQUEST_ID_REUSED", () => reusing);
    }

    [Fact]
    public async Task A_caller_that_gives_up_after_its_decision_was_written_hears_the_decision_not_cancelled()
    {
        await using var dialect = new SqliteDialect(store.NewDatabasePath());
        var ledger = await MigratedWithOneDecisionAsync(dialect);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dialect.SyncGate = () => gate.Task;
        var patient = NewPatient();
        var request = Request(patient);
        using var giveUp = new CancellationTokenSource();

        var deciding = ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), giveUp.Token);
        try
        {
            // Written and committed, waiting for its fsync: past the point where cancelling could undo it.
            while (await DecisionsOfAsync(dialect, patient) == 0)
            {
                await Task.Delay(10);
            }

            giveUp.Cancel();
            await Task.Delay(100);
            Assert.False(deciding.IsCompleted);
        }
        finally
        {
            gate.TrySetResult();
        }

        var decided = await deciding;
        Assert.NotNull(decided.Decision.Reservation);
        Assert.Equal(decided.Decision.DecisionId, Assert.Single((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations).DecisionId);
    }

    [Fact]
    public async Task A_ledger_opened_through_a_symbolic_link_syncs_the_wal_beside_the_real_file()
    {
        var real = store.NewDatabasePath();
        var link = store.NewDatabasePath();
        File.CreateSymbolicLink(link, real);
        await using var dialect = new SqliteDialect(link);

        var ledger = await MigratedWithOneDecisionAsync(dialect);
        var request = Request(NewPatient());
        var decided = await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);

        Assert.NotNull(await ledger.GetDecisionAsync(decided.Decision.DecisionId, CancellationToken.None));
        Assert.Equal(real + "-wal", dialect.SyncedWalPath);
        Assert.True(File.Exists(real + "-wal"));
    }

    [Fact]
    public async Task After_a_failed_sync_the_ledger_refuses_writes_and_reads_instead_of_guessing_what_is_durable()
    {
        await using var dialect = new SqliteDialect(store.NewDatabasePath());
        var ledger = await MigratedWithOneDecisionAsync(dialect);
        dialect.SyncGate = () => Task.FromException(new IOException("the disk went away"));
        var request = Request(NewPatient());

        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () =>
            ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None));

        dialect.SyncGate = null;
        var next = Request(NewPatient());
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () =>
            ledger.DecideAsync(next, _ => Decision(next, Now, reserve: false), CancellationToken.None));
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () =>
            ledger.LoadHistoryAsync(request.PatientKey, CancellationToken.None));
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => ledger.PingAsync(CancellationToken.None)); // health turns unhealthy
    }

    [Fact]
    public async Task Before_the_writer_catches_the_wal_up_the_background_has_synced_the_database_file()
    {
        // SQLite syncs the database file only in the checkpoint that reaches the WAL's end (the
        // writer's catch-up), so without this the catch-up's fsync wrote out every page the
        // background had copied while all queued writes waited.
        var path = store.NewDatabasePath();
        var metrics = new LedgerMetrics();
        await using var dialect = new SqliteDialect(path, walRestartFrames: 64, checkpointInterval: TimeSpan.FromMilliseconds(50), metrics);
        var syncs = 0;
        dialect.DatabaseSync = connection =>
        {
            SqliteDatabaseFile.Sync(connection);
            Interlocked.Increment(ref syncs);
        };
        var ledger = await MigratedAsync(dialect, metrics);

        await WriteContinuouslyAsync(ledger, writers: 16, decisionsEach: 150);

        Assert.True(Volatile.Read(ref syncs) >= 1, $"{syncs} syncs of the database file");
        Assert.True(metrics.Snapshot().WriterCheckpoints >= 1, "the writer never caught up");
        Assert.True(WalRestarts(path + "-wal") >= 5, $"{WalRestarts(path + "-wal")} restarts");
        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task A_failed_fsync_of_the_database_file_stops_the_ledger_before_the_wal_can_start_over()
    {
        // The pages copied so far are then of unknown state on disk while the WAL still holds them:
        // starting the WAL over would lose them, so the ledger stops as after a failed WAL fsync.
        var path = store.NewDatabasePath();
        var metrics = new LedgerMetrics();
        var dialect = new SqliteDialect(path, walRestartFrames: 64, checkpointInterval: TimeSpan.FromMilliseconds(50), metrics);
        // The first sync (the check when the checkpointer connects) succeeds, the one before the writer's catch-up fails.
        var syncs = 0;
        dialect.DatabaseSync = connection =>
        {
            if (Interlocked.Increment(ref syncs) > 1)
            {
                throw new IOException("EIO from the disk (test)");
            }

            SqliteDatabaseFile.Sync(connection);
        };
        var ledger = await MigratedAsync(dialect, metrics);

        GuardException? refused = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (refused is null && DateTime.UtcNow < deadline)
        {
            var request = Request(NewPatient());
            try
            {
                await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), CancellationToken.None);
            }
            catch (GuardException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal((GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE"), (refused.Kind, refused.Reason));
        Assert.Contains("EIO from the disk", refused.Message, StringComparison.Ordinal);
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => ledger.PingAsync(CancellationToken.None));

        // The writer was never told to catch up, and the WAL does not start over after the failure
        // (before it, a background checkpoint that found the writer idle may have let it, syncing the
        // database itself); shutting down neither checkpoints nor deletes it (the next start recovers from it).
        var restartsAtFailure = WalRestarts(path + "-wal");
        await Task.Delay(300);
        Assert.Equal(0, metrics.Snapshot().WriterCheckpoints);
        Assert.Equal(restartsAtFailure, WalRestarts(path + "-wal"));
        await dialect.DisposeAsync();
        Assert.True(new FileInfo(path + "-wal").Length > 0, "the WAL was checkpointed away at shutdown");
    }

    [Fact]
    public async Task After_a_failed_wal_fsync_shutting_down_keeps_the_wal_for_the_next_start()
    {
        // Linux reports a writeback error once: the fsync of a checkpoint on close would succeed and
        // the WAL, the only copy known good, would be deleted.
        var path = store.NewDatabasePath();
        var dialect = new SqliteDialect(path);
        var ledger = await MigratedWithOneDecisionAsync(dialect);
        dialect.SyncGate = () => Task.FromException(new IOException("the disk went away"));
        var request = Request(NewPatient());
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () =>
            ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None));

        await dialect.DisposeAsync();
        SqliteConnection.ClearAllPools(); // the pooled readers close too: the last close is the one that would checkpoint

        Assert.True(new FileInfo(path + "-wal").Length > 0, "the WAL was checkpointed away at shutdown");

        // The next start recovers from it: the refused decision was committed, only its fsync failed.
        await using var reopened = new SqliteDialect(path);
        var recovered = await MigratedAsync(reopened);
        Assert.True((await recovered.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None)).Replayed);
        Assert.True((await recovered.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public void Only_a_checkpoints_failed_write_or_fsync_stops_the_ledger_not_a_busy_file()
    {
        Assert.True(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("fsync", 10, 1034)));
        Assert.True(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("write", 10, 778)));
        Assert.True(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("truncate", 10, 1546)));
        Assert.False(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("busy", 5, 5)));
        Assert.False(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("locked", 6, 6)));
        Assert.False(SqliteCheckpointer.IsDurabilityFailure(new SqliteException("read", 10, 266)));
    }

    [Fact]
    public async Task The_database_file_is_synced_through_the_connections_own_sqlite_file()
    {
        await using var connection = new SqliteConnection($"Data Source={store.NewDatabasePath()}");
        Assert.Throws<InvalidOperationException>(() => SqliteDatabaseFile.Sync(connection));

        await connection.OpenAsync();
        await connection.Command(null, "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1); PRAGMA wal_checkpoint(TRUNCATE);").ExecuteNonQueryAsync();
        var length = new FileInfo(connection.DataSource).Length;

        // A wrong slot of SQLite's file methods would crash here, return an error code, or (the
        // slot before, xTruncate) cut the file.
        SqliteDatabaseFile.Sync(connection);
        SqliteDatabaseFile.Sync(connection);
        Assert.Equal(length, new FileInfo(connection.DataSource).Length);
        Assert.Equal(1L, await connection.Command(null, "SELECT COUNT(*) FROM t").ExecuteScalarAsync());
        Assert.Equal("ok", await connection.Command(null, "PRAGMA integrity_check").ExecuteScalarAsync());

        // An in-memory database has no file to sync.
        await using var memory = new SqliteConnection("Data Source=:memory:");
        await memory.OpenAsync();
        SqliteDatabaseFile.Sync(memory);
    }

    /// <summary>A ledger without a cache on <paramref name="dialect"/>, its schema migrated.</summary>
    private static async Task<SqlGuardLedger> MigratedAsync(SqliteDialect dialect, LedgerMetrics? metrics = null)
    {
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache(), metrics);
        await ledger.MigrateAsync(CancellationToken.None);
        return ledger;
    }

    /// <summary>Writers back to back keep the single writer busy, so a checkpoint beside it never finds it idle.</summary>
    private static Task WriteContinuouslyAsync(SqlGuardLedger ledger, int writers, int decisionsEach) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < decisionsEach; i++)
            {
                var request = Request(NewPatient());
                await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: i % 10 == 0), CancellationToken.None);
            }
        })));

    private static async Task<SqlGuardLedger> MigratedWithOneDecisionAsync(SqliteDialect dialect)
    {
        var ledger = await MigratedAsync(dialect);
        var request = Request(NewPatient());
        await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None);
        return ledger;
    }

    private static async Task<long> DecisionsOfAsync(SqliteDialect dialect, PatientKey patient)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(null, "SELECT COUNT(*) FROM decisions WHERE patient_key = @patient_key")
            .With("@patient_key", patient.Value);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A temporary folder holding the class's SQLite files, deleted afterwards.</summary>
    public sealed class Store : IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("prescribeguard-ledger-").FullName;

        public Store() => Dialect = new SqliteDialect(Path.Combine(_folder, "shared.db"));

        public SqliteDialect Dialect { get; }

        public string NewDatabasePath() => Path.Combine(_folder, $"{Guid.NewGuid():N}.db");

        public void Dispose()
        {
            Dialect.Dispose();
            SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
