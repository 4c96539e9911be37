using Microsoft.Data.Sqlite;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;

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
