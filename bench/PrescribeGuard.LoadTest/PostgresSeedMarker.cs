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
            "CREATE TABLE IF NOT EXISTS bench_seed (patients BIGINT NOT NULL, seeded_at BIGINT NOT NULL); DELETE FROM bench_seed; " +
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
    /// guard's migration starts over. Tables of anything but a guard ledger are left alone: this
    /// refuses a database that has tables but no ledger_schema.
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

        if (tables.Count == 0)
        {
            return;
        }

        if (!tables.Contains("ledger_schema"))
        {
            throw new InvalidOperationException(
                $"{connection.Database} has tables but no ledger_schema, so it is not a guard ledger: not wiping it (point --connection at a bench database)");
        }

        await using var drop = new NpgsqlCommand(
            "DROP TABLE " + string.Join(", ", tables.Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")) + " CASCADE",
            connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
