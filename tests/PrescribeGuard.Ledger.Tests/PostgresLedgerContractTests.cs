using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Testing;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>The store contract on a real PostgreSQL 15 server, plus what only a shared store must do.</summary>
public sealed class PostgresLedgerContractTests(PostgresLedgerContractTests.Store store)
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
