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
            if (await ChainsWithLinksAfterReportsAsync(connection) > 0)
            {
                // Removing those reports' links would cut the chains in the middle: a break, not a cost.
                Console.Error.WriteLine("--audit-cost: a load run has appended links after this seed's reports; run it with --reseed");
                return 2;
            }

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

    /// <summary>The chains on which a link of another kind follows a dispense's or encounter's link (one scan).</summary>
    private static async Task<long> ChainsWithLinksAfterReportsAsync(System.Data.Common.DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT COUNT(*) FROM (SELECT MIN(CASE WHEN kind IN ('dispense', 'encounter') THEN seq END) AS first_report, " +
            "MAX(CASE WHEN kind NOT IN ('dispense', 'encounter') THEN seq END) AS last_other FROM audit_chain GROUP BY chain) AS chains " +
            "WHERE first_report < last_other";
        command.CommandTimeout = 0;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
