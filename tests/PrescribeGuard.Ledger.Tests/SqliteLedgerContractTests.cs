using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Caching;
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
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join('\n', plan);
    }

    [Fact]
    public async Task Under_continuous_writes_the_wal_starts_over_instead_of_growing_with_every_commit()
    {
        var path = store.NewDatabasePath();
        await using var dialect = new SqliteDialect(path, walRestartFrames: 64);
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        await ledger.MigrateAsync(CancellationToken.None);

        // Writers back to back keep the single writer busy, so a checkpoint beside it never finds it idle.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                var request = Request(NewPatient());
                await ledger.DecideAsync(request, _ => Decision(request, Now, reserve: i % 10 == 0), CancellationToken.None);
            }
        })));

        // 2,400 decisions write ≈19 MB of WAL frames here, all of it kept when the WAL never starts
        // over (measured with the writer's catch-up switched off); starting over keeps it near its
        // limit plus what is committed between two background checkpoints (≈4 MB here).
        var wal = new FileInfo(path + "-wal").Length;
        Assert.True(wal < 8 * 1024 * 1024, $"WAL {wal} B");
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
        try
        {
            // Committed, so a reader sees it, but not yet synced: neither is answered.
            while (await DecisionsOfAsync(dialect, patient) == 0)
            {
                await Task.Delay(10);
            }

            reading = ledger.LoadHistoryAsync(patient, CancellationToken.None);
            await Task.Delay(200);
            Assert.False(deciding.IsCompleted);
            Assert.False(reading.IsCompleted);
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

    /// <summary>Past the first commit of the writer's connection, which SQLite syncs itself.</summary>
    private static async Task<SqlGuardLedger> MigratedWithOneDecisionAsync(SqliteDialect dialect)
    {
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        await ledger.MigrateAsync(CancellationToken.None);
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
