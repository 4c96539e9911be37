using Npgsql;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Which seed a PostgreSQL ledger holds, kept in the database itself (table bench_seed: patients and
/// the seeding time every plan is regenerated from), so that any run pointed at the database reuses
/// it whatever its --data folder: the counterpart of the SQLite folder's marker file. It is written
/// only after a complete seed, so a database without it (or with another patient count) is wiped and
/// seeded again, as the SQLite seeder deletes its file.
/// </summary>
public static class PostgresSeedMarker
{
    private const string BenchSeedTable = "CREATE TABLE IF NOT EXISTS bench_seed (patients BIGINT NOT NULL, seeded_at BIGINT NOT NULL);";

    public static async Task<DateTimeOffset?> ReadAsync(string connectionString, int patients)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('bench_seed') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync())!)
        {
            return null;
        }

        await using var read = new NpgsqlCommand("SELECT seeded_at FROM bench_seed WHERE patients = @patients", connection);
        read.Parameters.AddWithValue("patients", (long)patients);
        return await read.ExecuteScalarAsync() is long seededAt ? DateTimeOffset.FromUnixTimeMilliseconds(seededAt) : null;
    }

    public static async Task WriteAsync(string connectionString, int patients, DateTimeOffset seededAt)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var transaction = await connection.BeginTransactionAsync();
        await using var write = new NpgsqlCommand(
            BenchSeedTable + " DELETE FROM bench_seed; " +
            "INSERT INTO bench_seed (patients, seeded_at) VALUES (@patients, @seeded_at)",
            connection,
            transaction);
        write.Parameters.AddWithValue("patients", (long)patients);
        write.Parameters.AddWithValue("seeded_at", seededAt.ToUnixTimeMilliseconds());
        await write.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    /// <summary>
    /// Drops every table of the connection's schema (ledger, decisions, audit chain, marker), so the
    /// guard's migration starts over, and leaves an empty bench_seed table behind to say this database
    /// belongs to the benchmark. Only an empty database or one with bench_seed is wiped: a guard ledger
    /// the benchmark did not create (a real one, pointed at by mistake) is refused.
    /// </summary>
    public static async Task WipeAsync(string connectionString)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", connection);
        var tables = new List<string>();
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (tables.Count > 0 && !tables.Contains("bench_seed"))
        {
            throw new InvalidOperationException(
                $"{connection.Database} has tables but no bench_seed, so the benchmark did not create it: not wiping it " +
                "(point --connection at an empty database)");
        }

        if (tables.Count > 0)
        {
            await using var drop = new NpgsqlCommand(
                "DROP TABLE " + string.Join(", ", tables.Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")) + " CASCADE",
                connection);
            await drop.ExecuteNonQueryAsync();
        }

        await using var claim = new NpgsqlCommand(BenchSeedTable, connection);
        await claim.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
