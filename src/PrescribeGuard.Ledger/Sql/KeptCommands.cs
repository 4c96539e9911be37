using System.Data.Common;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// One command per SQL text for the life of a long read on one connection, its parameters cleared for
/// each use: a command made anew for each of millions of reads prepares its statement anew each time
/// (Microsoft.Data.Sqlite keeps a statement only with its command).
/// </summary>
internal sealed class KeptCommands(DbConnection connection, DbTransaction transaction) : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    public DbCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Parameters.Clear();
            return command;
        }

        command = connection.Command(transaction, sql).Unhurried();
        _commands.Add(sql, command);
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }

        _commands.Clear();
    }
}
