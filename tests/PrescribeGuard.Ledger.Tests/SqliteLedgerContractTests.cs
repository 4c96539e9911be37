using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.History;
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

    [Fact]
    public async Task A_history_read_before_the_writer_is_used_only_while_nothing_was_written_for_the_patient()
    {
        // Without a cache, the embedded ledger reads an uncached patient's history from a snapshot
        // before queueing for the writer. Here a prescription lands between that read and the
        // write: the decision made on the snapshot must be dropped and made again on the new history.
        var ledger = new SqlGuardLedger(store.Dialect, new NoHistoryCache());
        var patient = NewPatient();
        var seen = new List<PatientHistory>();
        var request = Request(patient);

        var decided = await ledger.DecideAsync(request, history =>
        {
            seen.Add(history);
            if (seen.Count == 1)
            {
                // The writer is not busy with this check yet, so this write commits first.
                ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now.AddDays(-1)), Now, CancellationToken.None).GetAwaiter().GetResult();
            }

            return Decision(request, Now, reserve: false);
        }, CancellationToken.None);

        Assert.Equal(2, seen.Count);
        Assert.Empty(seen[0].Prescriptions);
        Assert.Single(seen[1].Prescriptions);
        Assert.False(decided.Replayed);
    }

    [Fact]
    public async Task A_history_read_before_the_writer_is_decided_on_once_when_nothing_changed()
    {
        var ledger = new SqlGuardLedger(store.Dialect, new NoHistoryCache());
        var patient = NewPatient();
        await ledger.RecordPrescriptionAsync(Prescription(patient, NewId("rx"), Now.AddDays(-1)), Now, CancellationToken.None);
        var seen = new List<PatientHistory>();
        var request = Request(patient);

        await ledger.DecideAsync(request, history =>
        {
            seen.Add(history);
            return Decision(request, Now, reserve: true);
        }, CancellationToken.None);

        Assert.Single(seen);
        Assert.Single(seen[0].Prescriptions);
        Assert.Single((await ledger.LoadHistoryAsync(patient, CancellationToken.None)).Reservations);
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
