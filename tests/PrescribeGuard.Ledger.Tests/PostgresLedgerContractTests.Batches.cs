using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Ledger.Sql;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>
/// Group commit of single-command decisions on PostgreSQL. Each test makes every batch writer wait
/// on a patient's lock held by another session, queues checks behind them, then lets one writer go:
/// it takes everything queued as one batch.
/// </summary>
public sealed partial class PostgresLedgerContractTests
{
    [Fact]
    public async Task Decisions_queued_behind_busy_writers_are_committed_together_each_durable_and_linked()
    {
        var (ledger, metrics, connectionString) = await CachedLedgerAsync();
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        var queued = await WarmAsync(ledger, 10);
        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var before = metrics.Snapshot();

        var queuedRequests = queued.Select(patient => Request(patient)).ToList();
        var queuedChecks = queuedRequests.Select(request => DecideAsync(ledger, request)).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == queued.Count));

        // One writer goes; the others still wait behind their locks.
        await busy.FreeOneAsync();
        var written = await Task.WhenAll(queuedChecks).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(busy.Checks.Skip(1), check => Assert.False(check.IsCompleted));
        await busy.FreeTheRestAsync();
        var during = metrics.Snapshot().Since(before);
        Assert.Equal((1L, 10L), (during.DecisionBatches, during.BatchedDecisions));
        Assert.Equal(((long)(blocked.Count + queued.Count), 0L), (during.SingleCommandDecisions, during.TransactionDecisions));

        // Each one durable and readable from another instance, answered as decided, and linked.
        await using var otherDialect = new PostgresDialect(connectionString);
        var other = new SqlGuardLedger(otherDialect, new NoHistoryCache());
        for (var i = 0; i < written.Length; i++)
        {
            Assert.False(written[i].Replayed);
            Assert.Equal(queuedRequests[i].RequestId, written[i].Decision.RequestId);
            var stored = await other.GetDecisionAsync(written[i].Decision.DecisionId, CancellationToken.None);
            Assert.Equal(written[i].Decision.Payload, stored!.Payload);
        }

        var audit = await other.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(2 * (blocked.Count + queued.Count), audit.LinksVerified);
    }

    [Fact]
    public async Task A_batch_with_several_decisions_of_one_chain_and_of_others_links_each_after_the_one_before()
    {
        var (ledger, metrics, connectionString) = await CachedLedgerAsync();
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        await using var dialect = new PostgresDialect(connectionString);
        var sameChain = PatientsOfChain(dialect, dialect.AuditChainOf(blocked[0]), 4);
        var otherChains = Enumerable.Range(0, 50).Select(_ => NewPatient())
            .Where(patient => dialect.AuditChainOf(patient) != dialect.AuditChainOf(blocked[0])).Take(3);
        var queued = new List<PatientKey>([.. sameChain, .. otherChains]);
        foreach (var patient in queued)
        {
            await DecideAsync(ledger, Request(patient));
        }

        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var before = metrics.Snapshot();
        var queuedChecks = queued.Select(patient => DecideAsync(ledger, Request(patient))).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == queued.Count));
        await busy.FreeOneAsync();
        var written = await Task.WhenAll(queuedChecks).WaitAsync(TimeSpan.FromSeconds(10));
        await busy.FreeTheRestAsync();

        var during = metrics.Snapshot().Since(before);
        Assert.Equal((1L, (long)queued.Count), (during.DecisionBatches, during.BatchedDecisions));
        Assert.All(written, result => Assert.False(result.Replayed));

        // Each decision of the batch has one link, on its patient's chain, and every chain walks
        // unbroken from its genesis: the batch's links of one chain follow each other.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var result in written)
        {
            await using var link = new NpgsqlCommand("SELECT chain FROM audit_chain WHERE kind = 'decision' AND record_id = @id", connection);
            link.Parameters.AddWithValue("id", result.Decision.DecisionId);
            await using var reader = await link.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((long)dialect.AuditChainOf(result.Decision.PatientKey), reader.GetInt64(0));
            Assert.False(await reader.ReadAsync());
        }

        var audit = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(blocked.Count * 2 + queued.Count * 2, audit.LinksVerified);
    }

    [Fact]
    public async Task The_batch_links_statement_appends_nothing_and_fails_unless_it_appends_one_link_per_decision()
    {
        var (_, _, connectionString) = await CachedLedgerAsync();
        await using var dialect = new PostgresDialect(connectionString);
        var sql = BatchAuditLinks.AppendSql(dialect, dialect.ArrayRowsSql(BatchAuditLinks.Parameters)!);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        const int chain = 3;
        var genesis = AuditHash.GenesisOf(chain);

        async Task AppendTwoAsync(long expectedLinks)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("link_batch_indexes", new long[] { 0, 1 });
            command.Parameters.AddWithValue("link_chains", new long[] { chain, chain });
            command.Parameters.AddWithValue("link_record_ids", new[] { "decision-1", "decision-2" });
            command.Parameters.AddWithValue("link_content_hashes", new[] { "content-1", "content-2" });
            command.Parameters.AddWithValue("link_geneses", new[] { genesis, genesis });
            command.Parameters.AddWithValue("link_kind", AuditKind.Decision);
            command.Parameters.AddWithValue("link_recorded_at", Now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("link_count", expectedLinks);
            await command.ExecuteNonQueryAsync();
        }

        async Task<List<(long Seq, string Prev, string Hash)>> LinksAsync()
        {
            await using var command = new NpgsqlCommand("SELECT seq, prev_hash, hash FROM audit_chain WHERE chain = @chain ORDER BY seq", connection);
            command.Parameters.AddWithValue("chain", (long)chain);
            await using var reader = await command.ExecuteReaderAsync();
            var links = new List<(long, string, string)>();
            while (await reader.ReadAsync())
            {
                links.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }

            return links;
        }

        var refused = await Assert.ThrowsAsync<PostgresException>(() => AppendTwoAsync(expectedLinks: 3));
        Assert.Equal(PostgresErrorCodes.DivisionByZero, refused.SqlState);
        Assert.Empty(await LinksAsync());

        await AppendTwoAsync(expectedLinks: 2);
        var first = AuditHash.Link(1, AuditKind.Decision, "decision-1", "content-1", genesis);
        Assert.Equal(
            [(1L, genesis, first), (2L, first, AuditHash.Link(2, AuditKind.Decision, "decision-2", "content-2", first))],
            await LinksAsync());
    }

    /// <summary>New patients whose links all go to <paramref name="chain"/>.</summary>
    private static IReadOnlyList<PatientKey> PatientsOfChain(PostgresDialect dialect, int chain, int count) =>
        [.. Enumerable.Range(0, 10_000).Select(_ => NewPatient()).Where(patient => dialect.AuditChainOf(patient) == chain).Take(count)];

    [Fact]
    public async Task A_batch_with_a_decision_on_a_stale_history_writes_nothing_and_each_goes_alone()
    {
        var (ledger, metrics, connectionString) = await CachedLedgerAsync();
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        var queued = await WarmAsync(ledger, 5);
        var stale = queued[2];

        // Another instance's history write for one of them, which this instance's cache has not seen.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var bump = new NpgsqlCommand(
                "INSERT INTO patient_revisions (patient_key, revision) VALUES (@key, 1) ON CONFLICT (patient_key) DO UPDATE SET revision = patient_revisions.revision + 1",
                connection);
            bump.Parameters.AddWithValue("key", stale.Value);
            Assert.Equal(1, await bump.ExecuteNonQueryAsync());
        }

        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var before = metrics.Snapshot();
        var decided = new int[queued.Count];
        var queuedChecks = queued.Select((patient, i) =>
        {
            var request = Request(patient);
            return Task.Run(() => ledger.DecideAsync(request, _ =>
            {
                Interlocked.Increment(ref decided[i]);
                return Decision(request, Now, reserve: false);
            }, CancellationToken.None));
        }).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == queued.Count));

        await busy.FreeOneAsync();
        var written = await Task.WhenAll(queuedChecks).WaitAsync(TimeSpan.FromSeconds(10));
        await busy.FreeTheRestAsync();
        var during = metrics.Snapshot().Since(before);

        // The batch was refused whole; alone, the four current ones went as one command each and the
        // stale one was decided again in its transaction, on the history at its new revision.
        Assert.Equal((0L, 0L), (during.DecisionBatches, during.BatchedDecisions));
        Assert.Equal(((long)blocked.Count + 4L, 1L), (during.SingleCommandDecisions, during.TransactionDecisions));
        Assert.Equal([1, 1, 2, 1, 1], decided);
        Assert.All(written, result => Assert.False(result.Replayed));
        var audit = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(2 * (blocked.Count + queued.Count), audit.LinksVerified);
    }

    [Fact]
    public async Task The_same_request_twice_in_one_batch_is_written_once_and_replayed_once()
    {
        var (ledger, metrics, connectionString) = await CachedLedgerAsync();
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        var queued = await WarmAsync(ledger, 3);
        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var before = metrics.Snapshot();

        var repeated = Request(queued[0]);
        var requests = new[] { repeated, Request(queued[1]), repeated, Request(queued[2]) };
        var checks = requests.Select(request => DecideAsync(ledger, request)).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == requests.Length));

        await busy.FreeOneAsync();
        var written = await Task.WhenAll(checks).WaitAsync(TimeSpan.FromSeconds(10));
        await busy.FreeTheRestAsync();
        var during = metrics.Snapshot().Since(before);

        Assert.Equal(written[0].Decision.DecisionId, written[2].Decision.DecisionId);
        Assert.Equal(1, written.Count(result => result.Replayed));
        Assert.False(written[1].Replayed);
        Assert.False(written[3].Replayed);
        Assert.Equal(0L, during.DecisionBatches);
        Assert.Equal(3L + blocked.Count, during.SingleCommandDecisions);
        var audit = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
    }

    [Fact]
    public async Task A_check_that_gives_up_while_its_decision_is_queued_is_answered_at_once_and_its_decision_never_written()
    {
        var (ledger, metrics, connectionString) = await CachedLedgerAsync();
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        var queued = await WarmAsync(ledger, 3);
        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var before = metrics.Snapshot();

        using var giveUp = new CancellationTokenSource();
        var abandoned = Request(queued[0]);
        var abandonedDecision = Decision(abandoned, Now, reserve: false);
        var abandonedCheck = Task.Run(() => ledger.DecideAsync(abandoned, _ => abandonedDecision, giveUp.Token));
        var others = queued.Skip(1).Select(patient => DecideAsync(ledger, Request(patient))).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == queued.Count));

        // Answered while every writer is still busy, not when one gets to it.
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandonedCheck.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.All(busy.Checks, check => Assert.False(check.IsCompleted));

        await busy.FreeOneAsync();
        await busy.FreeTheRestAsync();
        var written = await Task.WhenAll(others).WaitAsync(TimeSpan.FromSeconds(10));
        var during = metrics.Snapshot().Since(before);
        Assert.Null(await ledger.GetDecisionAsync(abandonedDecision.DecisionId, CancellationToken.None));
        Assert.All(written, result => Assert.False(result.Replayed));
        Assert.Equal((1L, 2L), (during.DecisionBatches, during.BatchedDecisions));
        Assert.Equal((long)blocked.Count + 2, during.SingleCommandDecisions);
        var audit = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(2 * (blocked.Count + queued.Count) - 1, audit.LinksVerified);
    }

    [Fact]
    public async Task A_patient_locked_elsewhere_holds_up_only_its_own_decision_not_the_others_of_its_batch()
    {
        // Commands may wait far longer than the test does: only the batch's own limit can free the others.
        var (ledger, metrics, connectionString) = await CachedLedgerAsync(commandTimeoutSeconds: 60);
        var blocked = await WarmAsync(ledger, SqlGuardLedger.DecisionBatchWriters);
        var queued = await WarmAsync(ledger, 4);
        var busy = await OccupyWritersAsync(ledger, connectionString, blocked);
        var busyPatient = await HoldLocksAsync(connectionString, [queued[3]]);
        var before = metrics.Snapshot();

        var checks = queued.Select(patient => DecideAsync(ledger, Request(patient))).ToList();
        await WaitUntilAsync(() => Task.FromResult(ledger.QueuedDecisions == queued.Count));
        await busy.FreeOneAsync();

        // The batch gave up on the busy patient's lock; alone, the other three were written while it is still held.
        var written = await Task.WhenAll(checks.Take(3)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(written, result => Assert.False(result.Replayed));
        await Task.Delay(SqlGuardLedger.BatchLockWaitLimitMilliseconds);
        Assert.False(checks[3].IsCompleted);

        await busyPatient[0].DisposeAsync();
        Assert.False((await checks[3].WaitAsync(TimeSpan.FromSeconds(10))).Replayed);
        await busy.FreeTheRestAsync();
        var during = metrics.Snapshot().Since(before);
        Assert.Equal(0L, during.DecisionBatches);
        Assert.Equal((long)blocked.Count + queued.Count, during.SingleCommandDecisions);
        var audit = await ledger.VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(2 * (blocked.Count + queued.Count), audit.LinksVerified);
    }

    [Fact]
    public async Task Two_instances_batching_concurrent_checks_for_shared_patients_write_each_decision_once_and_reserve_once()
    {
        var dialects = await NewStoreAsync(instances: 2);
        var metrics = new[] { new LedgerMetrics(), new LedgerMetrics() };
        var ledgers = dialects.Select((dialect, i) => new SqlGuardLedger(
            dialect, new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)), metrics[i])).ToArray();
        await Task.WhenAll(ledgers.Select(ledger => ledger.MigrateAsync(CancellationToken.None)));
        var patients = Enumerable.Range(0, 12).Select(_ => NewPatient()).ToList();

        // 32 checks in flight on each instance; every fifth asks to reserve, which only the first may.
        var next = -1;
        var results = new System.Collections.Concurrent.ConcurrentBag<DecideResult>();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(worker => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < 640; i = Interlocked.Increment(ref next))
            {
                var request = Request(patients[i % patients.Count]);
                var reserving = i % 5 == 0;
                results.Add(await ledgers[worker % 2].DecideAsync(
                    request,
                    history => Decision(request, Now, reserve: reserving && history.Reservations.Count == 0),
                    CancellationToken.None));
            }
        })));

        Assert.Equal(640, results.Count);
        Assert.DoesNotContain(results, result => result.Replayed);
        Assert.Equal(640, results.Select(result => result.Decision.DecisionId).Distinct().Count());
        Assert.True(metrics.Sum(m => m.Snapshot().DecisionBatches) > 0, "no decisions were batched");
        foreach (var patient in patients)
        {
            Assert.Single((await ledgers[1].LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
        }

        var audit = await ledgers[0].VerifyAuditAsync(CancellationToken.None);
        Assert.True(audit.IsIntact, audit.FirstBreak?.Reason);
        Assert.Equal(640, audit.LinksVerified);
    }

    private async Task<(SqlGuardLedger Ledger, LedgerMetrics Metrics, string ConnectionString)> CachedLedgerAsync(int? commandTimeoutSeconds = null)
    {
        var connectionString = await store.Server.CreateDatabaseAsync();
        if (commandTimeoutSeconds is { } timeout)
        {
            connectionString = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = timeout }.ConnectionString;
        }

        var dialect = new PostgresDialect(connectionString);
        var metrics = new LedgerMetrics();
        var ledger = new SqlGuardLedger(dialect, new MemoryHistoryCache(new MemoryCache(new MemoryCacheOptions()), TimeSpan.FromMinutes(5)), metrics);
        await ledger.MigrateAsync(CancellationToken.None);
        return (ledger, metrics, connectionString);
    }

    /// <summary>New patients, each with one decision written, so that their histories are cached.</summary>
    private static async Task<IReadOnlyList<PatientKey>> WarmAsync(SqlGuardLedger ledger, int count)
    {
        var patients = Enumerable.Range(0, count).Select(_ => NewPatient()).ToList();
        foreach (var patient in patients)
        {
            await DecideAsync(ledger, Request(patient));
        }

        return patients;
    }

    private static Task<DecideResult> DecideAsync(SqlGuardLedger ledger, DecideRequest request) =>
        Task.Run(() => ledger.DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None));

    /// <summary>Each patient's lock, held by a session of its own until it is disposed.</summary>
    private static async Task<IReadOnlyList<NpgsqlConnection>> HoldLocksAsync(string connectionString, IReadOnlyList<PatientKey> patients)
    {
        var sessions = new List<NpgsqlConnection>();
        foreach (var patient in patients)
        {
            var session = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await session.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", session);
            command.Parameters.AddWithValue("key", PostgresDialect.LockKey(patient));
            await command.ExecuteNonQueryAsync();
            sessions.Add(session);
        }

        return sessions;
    }

    /// <summary>Every batch writer taken by a check for one of <paramref name="patients"/>, each waiting for its patient's lock.</summary>
    private static async Task<BusyWriters> OccupyWritersAsync(SqlGuardLedger ledger, string connectionString, IReadOnlyList<PatientKey> patients)
    {
        var locks = await HoldLocksAsync(connectionString, patients);
        return new BusyWriters(locks, await StartBehindLocksAsync(ledger, connectionString, patients));
    }

    /// <summary>One check per patient, each taking a writer that then waits for the patient's lock.</summary>
    private static async Task<IReadOnlyList<Task<DecideResult>>> StartBehindLocksAsync(
        SqlGuardLedger ledger, string connectionString, IReadOnlyList<PatientKey> patients)
    {
        var checks = new List<Task<DecideResult>>();
        foreach (var patient in patients)
        {
            checks.Add(DecideAsync(ledger, Request(patient)));
            await WaitUntilAsync(async () => ledger.QueuedDecisions == 0 && await WaitingLocksAsync(connectionString) == checks.Count);
        }

        return checks;
    }

    private static async Task<long> WaitingLocksAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the batch writers");
            await Task.Delay(10);
        }
    }

    /// <summary>The writers' checks, and the sessions holding the locks they wait for.</summary>
    private sealed class BusyWriters(IReadOnlyList<NpgsqlConnection> locks, IReadOnlyList<Task<DecideResult>> checks)
    {
        public IReadOnlyList<Task<DecideResult>> Checks => checks;

        /// <summary>Lets one writer go: it finishes its check, then takes everything queued.</summary>
        public ValueTask FreeOneAsync() => locks[0].DisposeAsync();

        /// <summary>Lets the other writers go and waits for their checks.</summary>
        public async Task FreeTheRestAsync()
        {
            foreach (var held in locks.Skip(1))
            {
                await held.DisposeAsync();
            }

            await Task.WhenAll(checks);
        }
    }
}
