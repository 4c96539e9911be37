using Npgsql;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Testing;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>What is particular to the PostgreSQL dialect: timeouts, lock keys, and a server that goes away.</summary>
public sealed class PostgresDialectTests
{
    [Fact]
    public void Connect_and_command_timeouts_default_to_a_few_seconds_and_statements_are_prepared()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresDialect.WithDefaults("Host=db;Database=ledger;Username=guard"));

        Assert.Equal(PostgresDialect.DefaultConnectTimeoutSeconds, builder.Timeout);
        Assert.Equal(PostgresDialect.DefaultCommandTimeoutSeconds, builder.CommandTimeout);
        Assert.Equal(PostgresDialect.DefaultMaxAutoPrepare, builder.MaxAutoPrepare);
        Assert.True(builder.NoResetOnClose);
        Assert.Equal("db", builder.Host);
        Assert.Equal("ledger", builder.Database);
    }

    [Theory]
    [InlineData("Host=db;Timeout=10;Command Timeout=20;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;timeout=10;CommandTimeout=20;maxautoprepare=0;NoResetOnClose=false")]
    public void Settings_in_the_connection_string_are_kept(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresDialect.WithDefaults(connectionString));

        Assert.Equal(10, builder.Timeout);
        Assert.Equal(20, builder.CommandTimeout);
        Assert.Equal(0, builder.MaxAutoPrepare);
        Assert.False(builder.NoResetOnClose);
    }

    [Fact]
    public void Lock_keys_are_stable_and_differ_between_patients()
    {
        var patient = new PatientKey("5f2c0c7e9a6b4d0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a");

        Assert.Equal(PostgresDialect.LockKey(patient), PostgresDialect.LockKey(new PatientKey(patient.Value)));
        Assert.NotEqual(PostgresDialect.LockKey(patient), PostgresDialect.LockKey(NewPatient()));
        // Pinned (SHA-256 of "prescribeguard/patient/schema-migration"): every build of the guard must agree on it.
        Assert.Equal(-5493113296858829494L, PostgresDialect.LockKey(new PatientKey("schema-migration")));
    }

    [Fact]
    public void Patients_are_spread_over_every_audit_chain_each_always_on_the_same_one()
    {
        using var dialect = new PostgresDialect("Host=127.0.0.1;Database=unused");
        var patients = Enumerable.Range(0, 400).Select(_ => NewPatient()).ToList();

        var chains = patients.Select(dialect.AuditChainOf).ToList();

        Assert.Equal(Enumerable.Range(0, PostgresDialect.AuditChains), chains.Distinct().Order());
        Assert.All(patients, patient => Assert.Equal(dialect.AuditChainOf(patient), dialect.AuditChainOf(new PatientKey(patient.Value))));
        // Pinned: every instance on one ledger must put a patient on the same chain.
        Assert.Equal(10, dialect.AuditChainOf(new PatientKey("schema-migration")));
    }

    [Fact]
    public async Task A_stopped_server_is_unavailable_and_the_ledger_recovers_by_itself_when_it_returns()
    {
        var server = await PostgresServer.StartNewAsync();
        try
        {
            await using var dialect = new PostgresDialect(await server.CreateDatabaseAsync());
            var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
            await ledger.MigrateAsync(CancellationToken.None);
            // Several pooled connections, all of which the stop will break.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => DecideAsync(ledger, CancellationToken.None))));

            await server.StopAsync();

            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
            {
                await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => DecideAsync(ledger, deadline.Token));
                await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => DecideAsync(ledger, deadline.Token));
                await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => ledger.PingAsync(deadline.Token));
                await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => ledger.LoadHistoryAsync(NewPatient(), deadline.Token));
            }

            await server.StartAsync();

            // The first call after the restart already works: the dead pooled connections are gone.
            await DecideAsync(ledger, CancellationToken.None);
            await ledger.PingAsync(CancellationToken.None);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Audit_chains_stay_intact_on_a_server_whose_default_isolation_is_repeatable_read()
    {
        // Two instances append to one chain concurrently. The head of a chain is read after its lock,
        // and must be the last committed link whatever isolation the server defaults to (the ledger
        // asks for READ COMMITTED itself), or two appends would take the same link number.
        var server = await PostgresServer.StartNewAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync();
            var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
            await using (var admin = new NpgsqlConnection(connectionString))
            {
                await admin.OpenAsync();
                await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" SET default_transaction_isolation = 'repeatable read'", admin);
                await alter.ExecuteNonQueryAsync();
            }

            await using var first = new PostgresDialect(connectionString);
            await using var second = new PostgresDialect(connectionString);
            var ledgers = new[] { new SqlGuardLedger(first, new NoHistoryCache()), new SqlGuardLedger(second, new NoHistoryCache()) };
            await ledgers[0].MigrateAsync(CancellationToken.None);

            // Four patients on one chain: their checks run in parallel (different patient locks) and
            // meet on the chain's lock.
            var chain = first.AuditChainOf(NewPatient());
            var patients = Enumerable.Range(0, 1000).Select(_ => NewPatient()).Where(p => first.AuditChainOf(p) == chain).Take(4).ToArray();
            Assert.Equal(4, patients.Length);
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
            {
                var request = Request(patients[i % patients.Length]);
                await ledgers[i % 2].DecideAsync(request, _ => Decision(request, Now, reserve: false), CancellationToken.None);
            })));

            var verification = await ledgers[1].VerifyAuditAsync(CancellationToken.None);
            Assert.True(verification.IsIntact, verification.FirstBreak?.ToString());
            Assert.Equal(64, verification.LinksVerified);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unreachable_server_fails_within_the_connect_timeout()
    {
        var port = FreePort.Next();
        await using var dialect = new PostgresDialect($"Host=127.0.0.1;Port={port};Username=postgres;Database=none");
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => ledger.MigrateAsync(deadline.Token));
        await FailsWith(GuardErrorKind.Unavailable, "LEDGER_UNAVAILABLE", () => DecideAsync(ledger, deadline.Token));
    }

    private static Task DecideAsync(SqlGuardLedger ledger, CancellationToken cancellationToken)
    {
        var request = Request(NewPatient());
        return ledger.DecideAsync(request, _ => Decision(request, Now, reserve: true), cancellationToken);
    }
}
