using Microsoft.Data.Sqlite;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Keeps SQLite from checkpointing and deleting the WAL when the last connection to the file closes.
/// After a failed fsync the WAL is the only copy known good of what the kernel may have dropped,
/// and the fsync of that last close, Linux reporting an error only once, would succeed; the next
/// start recovers from the WAL instead. A clean shutdown still copies the WAL back first
/// (<see cref="SqliteCheckpointer.DisposeAsync"/>), so the WAL file left beside the database holds
/// nothing the database lacks (SQLite reads it through once on the next start).
/// </summary>
internal static class SqliteWalOnClose
{
    private const int NoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE

    public static void Keep(SqliteConnection connection)
    {
        var result = SQLitePCL.raw.sqlite3_db_config(connection.Handle, NoCheckpointOnClose, 1, out var enabled);
        if (result != 0 || enabled != 1)
        {
            throw new SqliteException("SQLite would not keep the WAL on close", result == 0 ? 1 : result);
        }
    }
}
