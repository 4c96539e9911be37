using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Testing;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>The store contract on a real PostgreSQL 15 server, plus what only a shared store must do.</summary>
public sealed partial class PostgresLedgerContractTests(PostgresLedgerContractTests.Store store)
    : LedgerContractTests, IClassFixture<PostgresLedgerContractTests.Store>
{
    protected override ILedgerDialect SharedStore => store.Dialect;

    protected override async Task<IReadOnlyList<ILedgerDialect>> CreateDialectsOverNewStoreAsync(int instances)
    {
        var connectionString = await store.Server.CreateDatabaseAsync();
        return [.. Enumerable.Range(0, instances).Select(_ => new PostgresDialect(connectionString))];
    }

    // Tables here are tiny, so a sequential scan would win on cost: switch it off to see which index can serve.
    protected override async Task<string> QueryPlanAsync(string sql)
    {
        await using var connection = await store.Dialect.OpenAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.Command(transaction, "SET LOCAL enable_seqscan = off").ExecuteNonQueryAsync();
        await using var command = connection.Command(transaction, "EXPLAIN " + sql);
        return await LinesOfAsync(command, 0);
    }

    protected override string IndexDefinitionSql => "SELECT indexdef FROM pg_indexes WHERE indexname = @name";

    [Fact]
    public async Task A_verification_waits_out_a_table_lock_longer_than_the_command_timeout()
    {
        // Its whole-table reads (a count, every reserving decision) take as long as the ledger is large: on a
        // busy ledger's decisions far longer than the 5 s a check's statement may. A lock held past a 1 s
        // timeout stands in for such a read: the verification must wait, not fail as unavailable.
        var connectionString = await store.Server.CreateDatabaseAsync();
        await using var dialect = new PostgresDialect(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 1 }.ToString());
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        await ledger.MigrateAsync(CancellationToken.None);
        var patient = NewPatient();
        await ledger.RecordPrescriptionAsync(Prescription(patient, "rx-locked", Now), Now, CancellationToken.None);
        await ledger.RecordDispenseAsync(Dispense(patient, "rx-locked", "dsp-locked", Now), CancellationToken.None);

        await using var locker = new NpgsqlConnection(connectionString);
        await locker.OpenAsync();
        await using var locked = await locker.BeginTransactionAsync();
        await using (var lockDispenses = new NpgsqlCommand("LOCK TABLE dispenses IN ACCESS EXCLUSIVE MODE", locker, locked))
        {
            await lockDispenses.ExecuteNonQueryAsync();
        }

        var verifying = ledger.VerifyAuditAsync(CancellationToken.None);
        await EventuallyAsync(async () =>
        {
            await using var waiting = new NpgsqlCommand("SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND relation = 'dispenses'::regclass", locker, locked);
            return (long)(await waiting.ExecuteScalarAsync())! > 0;
        });
        await Task.Delay(TimeSpan.FromSeconds(2)); // past the 1 s timeout, blocked on the lock all along
        await locked.CommitAsync();
        var verification = await verifying;

        Assert.True(verification.IsIntact, verification.FirstBreak?.ToString());
        Assert.Equal(2, verification.LinksVerified);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the verification never waited for the lock");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_audits_check_of_chain_numbers_reads_the_primary_key_not_the_whole_chain()
    {
        // Under an expression the planner cannot estimate (chain + 0) it scanned the whole primary key in
        // order: 16 s for 5M links, past the 5 s command timeout, so verify-audit failed as unavailable.
        // 5,000 links and their statistics: on a table of a few, an ordered scan is the cheaper plan anyway.
        var (_, dialect) = await MigratedLedgerOnNewStoreAsync();
        await ExecuteAsync(
            dialect,
            "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) " +
            "SELECT n % 16, n, 'decision', 'dec-' || n, '', '', '', 0 FROM generate_series(1, 5000) AS n",
            expectedRows: 5000);
        await ExecuteAsync(dialect, "ANALYZE audit_chain", expectedRows: null);
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.Command(null, "EXPLAIN " + SqlGuardLedger.LinksOfChainOutOfRangeSql);
        var plan = await LinesOfAsync(command, 0);

        Assert.Contains("Index Cond: (chain < ", plan, StringComparison.Ordinal);
        Assert.Contains("Index Cond: (chain > ", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Filter", plan, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("repeatable read")]
    [InlineData("serializable")]
    public async Task A_history_write_committed_while_a_cached_check_waits_for_the_lock_makes_it_decide_again(string? serverIsolation)
    {
        var connectionString = await store.Server.CreateDatabaseAsync();
        if (serverIsolation is not null)
        {
            // A server default the guard does not control: commands outside a transaction run at it.
            await using var admin = new NpgsqlConnection(connectionString);
            await admin.OpenAsync();
            var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
            await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" SET default_transaction_isolation = '{serverIsolation}'", admin);
            await alter.ExecuteNonQueryAsync();
        }

        await using var dialect = new PostgresDialect(connectionString);
        var ledger = new SqlGuardLedger(dialect, new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)));
        await ledger.MigrateAsync(CancellationToken.None);
        var patient = NewPatient();
        var warm = Request(patient);
        await ledger.DecideAsync(warm, _ => Decision(warm, Now, reserve: false), CancellationToken.None);
        var singleCommandBefore = ledger.SingleCommandDecisions;

        // Another instance's history write (as a dispense: bumps the revision, appends no link) holds the lock.
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted);
        await using (var locking = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", other, transaction))
        {
            locking.Parameters.AddWithValue("key", PostgresDialect.LockKey(patient));
            await locking.ExecuteNonQueryAsync();
        }

        await using (var bump = new NpgsqlCommand(
            "INSERT INTO patient_revisions (patient_key, revision) VALUES (@key, 1) ON CONFLICT (patient_key) DO UPDATE SET revision = patient_revisions.revision + 1",
            other,
            transaction))
        {
            bump.Parameters.AddWithValue("key", patient.Value);
            await bump.ExecuteNonQueryAsync();
        }

        var decided = 0;
        var check = Request(patient);
        var pending = Task.Run(() => ledger.DecideAsync(check, _ =>
        {
            Interlocked.Increment(ref decided);
            return Decision(check, Now, reserve: false);
        }, CancellationToken.None));
        await Task.Delay(500); // usually long enough for the check to be waiting for the lock
        await transaction.CommitAsync();
        var result = await pending;

        // Decided on the cached (now stale) history, refused, decided again in the transaction.
        Assert.False(result.Replayed);
        Assert.Equal(2, decided);
        Assert.Equal(singleCommandBefore, ledger.SingleCommandDecisions);
        Assert.True((await ledger.VerifyAuditAsync(CancellationToken.None)).IsIntact);
    }

    [Fact]
    public async Task An_instance_starting_during_another_instances_long_migration_waits_it_out()
    {
        // The schema-6 step runs minutes on a large ledger; a second instance must not fail its
        // start-up at the command timeout (1 s here) while the first holds the migration's lock.
        var connectionString = new NpgsqlConnectionStringBuilder(await store.Server.CreateDatabaseAsync()) { CommandTimeout = 1 }.ToString();
        await using var first = new PostgresDialect(connectionString);
        await new SqlGuardLedger(first, new NoHistoryCache()).MigrateAsync(CancellationToken.None);
        await using var migration = (NpgsqlConnection)await first.OpenAsync(CancellationToken.None);
        await using var migrating = await migration.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", migration, migrating))
        {
            // The ledger's migration lock: the patient lock of its reserved key.
            hold.Parameters.AddWithValue("key", first.PatientLockKey(new Domain.Identity.PatientKey("schema-migration")));
            await hold.ExecuteNonQueryAsync();
        }

        await using var second = new PostgresDialect(connectionString);
        var starting = new SqlGuardLedger(second, new NoHistoryCache()).MigrateAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var waitedPastItsTimeout = !starting.IsCompleted;
        await migrating.CommitAsync();
        await starting;

        Assert.True(waitedPastItsTimeout);
    }

    [Fact]
    public async Task A_break_is_reported_though_a_later_read_of_its_batch_fails_on_the_server()
    {
        // The record reads of a window of links go in one batch, past the first break: a later read that
        // fails on the server (here a division by zero in a view over the encounters) ends the batch, and
        // must not turn the break the walk reaches first into a failed verification.
        var (ledger, dialect) = await MigratedLedgerOnNewStoreAsync();
        var patient = NewPatient();
        await RecordEvaluationsAsync(ledger, patient, 30, i => $"enc-fail-{i:D2}");

        await ExecuteAsync(dialect, "UPDATE encounters SET monitoring_minutes = 240 WHERE encounter_id = 'enc-fail-10'");
        await ExecuteAsync(
            dialect,
            "ALTER TABLE encounters RENAME TO encounter_rows; CREATE VIEW encounters AS SELECT platform_id, encounter_id, patient_key, platform_patient_id, " +
            "clinician_npi, kind, occurred_at, location_state, CASE WHEN encounter_id = 'enc-fail-20' THEN monitoring_minutes / (kind - kind) ELSE monitoring_minutes END " +
            "AS monitoring_minutes, bp_systolic, bp_diastolic, bp_measured_at, med_drug_class, med_compounded, med_route, med_setting, med_dose_mg, med_total_mg, " +
            "med_days_supply, med_refills_authorized, fingerprint, recorded_at FROM encounter_rows",
            expectedRows: null);

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.Equal(($"{PlatformB}/enc-fail-10", "the audited record was changed after it was written"), (verification.FirstBreak!.RecordId, verification.FirstBreak.Reason));
        Assert.Equal(10, verification.LinksVerified);
    }

    [Fact]
    public async Task Fifty_concurrent_decisions_over_two_instances_reserve_exactly_once()
    {
        var dialects = await NewStoreAsync(instances: 2);
        var ledgers = dialects.Select(d => new SqlGuardLedger(d, new NoHistoryCache())).ToArray();
        await Task.WhenAll(ledgers.Select(l => l.MigrateAsync(CancellationToken.None)));
        var patient = NewPatient();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() =>
        {
            var request = Request(patient, $"req-{i}");
            return ledgers[i % 2].DecideAsync(
                request,
                history => Decision(request, Now, reserve: history.Reservations.Count == 0),
                CancellationToken.None);
        })));

        Assert.Single(results, r => r.Decision.Reservation is not null);
        Assert.Single((await ledgers[0].LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        Assert.Single((await ledgers[1].LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
    }

    /// <summary>A PostgreSQL server and one fresh database for the class.</summary>
    public sealed class Store : IAsyncLifetime
    {
        public PostgresServer Server { get; private set; } = null!;

        public PostgresDialect Dialect { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await PostgresServer.StartNewAsync();
            Dialect = new PostgresDialect(await Server.CreateDatabaseAsync());
        }

        public async Task DisposeAsync()
        {
            if (Dialect is not null)
            {
                await Dialect.DisposeAsync();
            }

            if (Server is not null)
            {
                await Server.DisposeAsync();
            }
        }
    }
}
