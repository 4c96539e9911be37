using System.Data.Common;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// A connection that keeps one prepared command per SQL text for its whole life. The commands it
/// hands out must not be used after the next <see cref="Command"/> call with the same text, and
/// disposing them is a no-op (the connection disposes them).
/// </summary>
internal interface ICommandCache
{
    DbCommand Command(DbTransaction? transaction, string sql);
}

internal static class DbCommandExtensions
{
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql)
    {
        if (connection is ICommandCache cache)
        {
            return cache.Command(transaction, sql);
        }

        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// No command timeout: for a migration's statements and a verification's whole-table reads, which may
    /// run far longer than a check's may (PostgreSQL's default here is 5 s, see PostgresDialect).
    /// </summary>
    public static DbCommand Unhurried(this DbCommand command)
    {
        command.CommandTimeout = 0;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        command.Parameters.Add(Named(command.CreateParameter(), name, value));
        return command;
    }

    public static DbBatchCommand With(this DbBatchCommand command, string name, object? value)
    {
        command.Parameters.Add(Named(command.CreateParameter(), name, value));
        return command;
    }

    /// <summary>Array parameters of a multi-row statement, one per name, in order.</summary>
    public static DbCommand WithArrays(this DbCommand command, IReadOnlyList<string> names, IReadOnlyList<Array> arrays)
    {
        for (var i = 0; i < names.Count; i++)
        {
            command.With(names[i], arrays[i]);
        }

        return command;
    }

    /// <summary>Array parameters of a multi-row statement, one per name, in order.</summary>
    public static DbBatchCommand WithArrays(this DbBatchCommand command, IReadOnlyList<string> names, IReadOnlyList<Array> arrays)
    {
        for (var i = 0; i < names.Count; i++)
        {
            command.With(names[i], arrays[i]);
        }

        return command;
    }

    /// <summary>The parameter with the ledger's storage of the value: flags and times as integers.</summary>
    private static DbParameter Named(DbParameter parameter, string name, object? value)
    {
        parameter.ParameterName = name;
        parameter.Value = value switch
        {
            null => DBNull.Value,
            bool flag => flag ? 1L : 0L,
            int number => (long)number,
            DateTimeOffset time => time.ToUnixTimeMilliseconds(),
            _ => value,
        };
        return parameter;
    }

    private static readonly long MinTimeMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxTimeMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// A time stored as Unix milliseconds. One no DateTimeOffset holds (only an edit outside the ledger
    /// writes it) is an OverflowException, as an integer too large for its column is, rather than the
    /// ArgumentOutOfRangeException a misused reader also throws.
    /// </summary>
    public static DateTimeOffset GetTime(this DbDataReader reader, int ordinal)
    {
        var milliseconds = reader.GetInt64(ordinal);
        return milliseconds >= MinTimeMs && milliseconds <= MaxTimeMs
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : throw new OverflowException($"{reader.GetName(ordinal)} holds {milliseconds}, no time a DateTimeOffset holds");
    }

    public static DateTimeOffset? GetTimeOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetTime(ordinal);

    public static bool GetFlag(this DbDataReader reader, int ordinal) => reader.GetInt64(ordinal) != 0;

    public static int GetInt(this DbDataReader reader, int ordinal) => checked((int)reader.GetInt64(ordinal));

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>
    /// Fails the same way on every store when a nullable column its record needs is null, which only
    /// an edit outside the ledger leaves: Npgsql's reader would throw InvalidCastException, SQLite's an
    /// InvalidOperationException that nothing but its message tells from a misused reader.
    /// </summary>
    public static void RequireValues(this DbDataReader reader, int first, int count)
    {
        for (var ordinal = first; ordinal < first + count; ordinal++)
        {
            if (reader.IsDBNull(ordinal))
            {
                throw new InvalidCastException($"{reader.GetName(ordinal)} is null where its record needs a value");
            }
        }
    }

    public static string GetRequiredString(this DbDataReader reader, int ordinal)
    {
        reader.RequireValues(ordinal, 1);
        return reader.GetString(ordinal);
    }
}
