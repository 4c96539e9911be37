using System.Data.Common;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Outside STRICT tables SQLite keeps a value in the storage class it was given; a column's declared
/// type only converts what converts losslessly. An edit can so leave a key as a blob, which reads back
/// as the same text (an audited record's hash still matches) while the history's equality with a text
/// parameter no longer finds it, or a time as a real, read back as the same whole milliseconds while
/// SQL compares the fraction. The ledger writes each column in its declared class only, so any other
/// class is an edit.
/// </summary>
internal static class SqliteStorageClasses
{
    /// <summary>The first row of <paramref name="table"/> with a value of another class than its column declares, or null.</summary>
    public static async Task<(string RecordId, string Reason)?> FirstValueOfAnotherTypeAsync(
        DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<string> keyColumns, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, string Declared, string StorageClass)>();
        await using (var command = connection.Command(transaction, "SELECT name, type FROM pragma_table_info(@table)").With("@table", table))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var declared = reader.GetString(1);
                if (StorageClassOf(declared) is { } storageClass)
                {
                    columns.Add((reader.GetString(0), declared, storageClass));
                }
            }
        }

        if (columns.Count == 0)
        {
            return null;
        }

        var mistyped = columns.Select(column => $"typeof({Quoted(column.Name)}) NOT IN ('{column.StorageClass}', 'null')").ToList();
        var sql =
            "SELECT " + string.Join(" || '/' || ", keyColumns.Select(key => $"CAST({Quoted(key)} AS TEXT)")) +
            ", CASE " + string.Concat(mistyped.Select((condition, i) => $"WHEN {condition} THEN {i} ")) + "END" +
            ", CASE " + string.Concat(mistyped.Select((condition, i) => $"WHEN {condition} THEN typeof({Quoted(columns[i].Name)}) ")) + "END" +
            $" FROM {Quoted(table)} WHERE " + string.Join(" OR ", mistyped) + " LIMIT 1";
        await using (var command = connection.Command(transaction, sql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var column = columns[(int)reader.GetInt64(1)];
            return (reader.GetString(0), $"{column.Name} holds a {reader.GetString(2)} where its column declares {column.Declared}");
        }
    }

    // The four affinities the ledger's schema declares, and the one class each keeps its values in.
    private static string? StorageClassOf(string declared) => declared.ToUpperInvariant() switch
    {
        "TEXT" => "text",
        "INTEGER" => "integer",
        "REAL" => "real",
        "BLOB" => "blob",
        _ => null,
    };

    private static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
