using System.Diagnostics;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// What the audit costs on a seeded ledger: the schema-6 upgrade step (its version row and every
/// dispense and encounter link removed first, as a ledger of version 5 holds them), then a whole
/// verification. The seeders write their rows directly, without links; the step links them all.
/// </summary>
public static class AuditCost
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        await using var store = options.Ledger == "postgres"
            ? (IAsyncDisposable)new PostgresDialect(options.Connection ?? throw new ArgumentException("--ledger postgres needs --connection"))
            : new SqliteDialect(Path.Combine(options.DataDirectory!, SqliteSeeder.DatabaseFile));
        var dialect = (ILedgerDialect)store;
        await using (var connection = await dialect.OpenAsync(CancellationToken.None))
        {
            foreach (var sql in new[] { "DELETE FROM ledger_schema WHERE version = 6", "DELETE FROM audit_chain WHERE kind IN ('dispense', 'encounter')" })
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.CommandTimeout = 0;
                Console.WriteLine($"{sql}: {await command.ExecuteNonQueryAsync():N0} rows");
            }
        }

        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        var watch = Stopwatch.StartNew();
        await ledger.MigrateAsync(CancellationToken.None);
        Console.WriteLine($"upgrade to schema 6: {watch.Elapsed.TotalSeconds:F1} s");
        watch.Restart();
        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);
        Console.WriteLine($"verify-audit: {watch.Elapsed.TotalSeconds:F1} s, {verification.LinksVerified:N0} links, " +
            (verification.FirstBreak is { } broken ? $"BROKEN: {broken}" : "intact"));
        return verification.IsIntact ? 0 : 1;
    }
}
