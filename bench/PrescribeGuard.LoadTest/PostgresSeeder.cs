using System.Diagnostics;
using Npgsql;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Seeds a PostgreSQL ledger directly, with the same rows as <see cref="SqliteSeeder"/>: the guard's
/// own migration creates the schema, binary COPY streams the rows (hours through the API, minutes
/// this way), and the patient indexes are built once afterwards, then ANALYZE gives the planner
/// statistics of the loaded tables. Expects the ledger tables to be empty (see <see cref="PostgresSeedMarker.WipeAsync"/>).
/// </summary>
public static class PostgresSeeder
{
    /// <summary>
    /// The patient indexes exactly as LedgerSchema creates them. Filling one index per row while 20M
    /// rows arrive in random key order costs more than sorting all keys once after the load.
    /// </summary>
    private static readonly string[] PatientIndexes =
    [
        "CREATE INDEX ix_prescriptions_patient ON prescriptions (patient_key)",
        "CREATE INDEX ix_dispenses_patient ON dispenses (patient_key)",
        "CREATE INDEX ix_encounters_patient ON encounters (patient_key)",
    ];

    public static async Task<SeedReport> SeedAsync(string connectionString, int patients, PatientKeyDeriver keys, DateTimeOffset now)
    {
        var watch = Stopwatch.StartNew();
        await using (var dialect = new PostgresDialect(connectionString))
        {
            await new SqlGuardLedger(dialect, new NoHistoryCache()).MigrateAsync(CancellationToken.None);
        }

        await using var dataSource = NpgsqlDataSource.Create(LoadConnectionString(connectionString));
        await ExecuteAsync(dataSource, "DROP INDEX IF EXISTS ix_prescriptions_patient, ix_dispenses_patient, ix_encounters_patient");
        var rows = await CopyAsync(dataSource, patients, keys, now, watch);
        var inserted = watch.Elapsed;

        // Built side by side: each sort waits on the disk part of the time, so two cores serve three.
        await Task.WhenAll(PatientIndexes.Select(sql => ExecuteAsync(dataSource, sql)));
        await ExecuteAsync(dataSource, "ANALYZE");
        await using var size = dataSource.CreateCommand("SELECT pg_database_size(current_database())");
        var bytes = (long)(await size.ExecuteScalarAsync())!;
        return new SeedReport(patients, rows, inserted, watch.Elapsed, bytes);
    }

    /// <summary>
    /// Patients in contiguous ranges, one range per worker: each generates its patients and streams
    /// them over its own four COPY connections, so generation and PostgreSQL's inserts overlap.
    /// </summary>
    private static async Task<long> CopyAsync(NpgsqlDataSource dataSource, int patients, PatientKeyDeriver keys, DateTimeOffset now, Stopwatch watch)
    {
        var workers = Math.Clamp(Environment.ProcessorCount, 1, 4);
        long rows = 0;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            await using var writer = await PostgresCopyWriter.OpenAsync(dataSource, now);
            for (var i = (int)((long)patients * w / workers); i < (int)((long)patients * (w + 1) / workers); i++)
            {
                var plan = PatientPlan.Create(i, now);
                writer.Write(plan, keys.Derive(plan.FamilyName, plan.GivenName, plan.BirthDate).Value);
                var total = Interlocked.Add(ref rows, plan.EventCount);
                var count = Interlocked.Increment(ref done);
                if (count % 100_000 == 0)
                {
                    Console.WriteLine($"  seeded {count:N0} patients, {total:N0} rows, {watch.Elapsed.TotalSeconds:F0} s");
                }
            }

            await writer.CompleteAsync();
        })));
        return rows;
    }

    /// <summary>
    /// The seeder's own connections: no command timeout (an index over 20M rows takes minutes, the
    /// guard's default is seconds) and room to sort each index in memory.
    /// </summary>
    private static string LoadConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        builder.Options = $"{builder.Options} -c maintenance_work_mem=512MB".Trim();
        return builder.ConnectionString;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
