using Microsoft.Data.Sqlite;

namespace PrescribeGuard.Server.Tests.Support;

/// <summary>Counts the rows of every ledger table straight from the SQLite file, to prove rejected requests wrote nothing.</summary>
public static class LedgerRows
{
    private static readonly string[] Tables = ["prescriptions", "dispenses", "encounters", "decisions", "patient_revisions"];

    public static async Task<IReadOnlyDictionary<string, long>> CountAsync(GuardServer server)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(server.DataDirectory, "prescribeguard.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in Tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {table}";
            counts[table] = (long)(await command.ExecuteScalarAsync())!;
        }

        return counts;
    }
}
