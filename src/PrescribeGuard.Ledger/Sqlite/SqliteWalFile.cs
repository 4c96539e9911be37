using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// A handle on the WAL file a connection writes to, opened while that connection is open (SQLite
/// deletes the WAL only when its last connection closes, so the handle cannot name a stale file).
/// </summary>
/// <remarks>
/// The path comes from SQLite itself (PRAGMA database_list), which resolves symbolic links: the WAL
/// lies beside the real database file, not beside a link to it. Only the WAL file is opened, never
/// the database or its -shm file: SQLite's POSIX locks live on those, and closing another
/// descriptor of a locked file would drop them.
/// </remarks>
internal sealed class SqliteWalFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    private SqliteWalFile(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    /// <summary>The WAL of <paramref name="connection"/>'s main database, or null while it has none.</summary>
    public static SqliteWalFile? Of(SqliteConnection connection)
    {
        string? database = null;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA database_list";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (reader.GetString(1) == "main")
                {
                    database = reader.GetString(2);
                }
            }
        }

        if (string.IsNullOrEmpty(database))
        {
            return null;
        }

        var path = database + "-wal";
        try
        {
            return new SqliteWalFile(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>fsync: everything written to the file before the call is on disk when it returns.</summary>
    public void Sync() => RandomAccess.FlushToDisk(_handle);

    public void Dispose() => _handle.Dispose();
}
