using Microsoft.Data.Sqlite;
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
