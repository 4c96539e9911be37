using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// fsync of a connection's main database file through SQLite's own file object, the way SQLite
/// syncs it itself (its VFS's xSync). No second descriptor is opened, so none is closed either:
/// closing one would drop the process's POSIX locks on the file (see <see cref="SqliteWalFile"/>).
/// </summary>
/// <remarks>
/// SQLite syncs the database file only in a checkpoint that copies the WAL to its end, which a
/// checkpoint beside a busy writer never does. So the pages the background checkpoints copied
/// waited, unsynced, for the writer's catch-up, whose one fsync then wrote all of them out while
/// every queued check waited behind it (≈50 ms with random request ids; see
/// <see cref="SqliteCheckpointer"/>).
/// </remarks>
internal static unsafe partial class SqliteDatabaseFile
{
    private const int FileControlFilePointer = 7; // SQLITE_FCNTL_FILE_POINTER
    private const int SyncNormal = 0x2; // SQLITE_SYNC_NORMAL: fsync (F_FULLFSYNC only where asked for FULL, on macOS)

    // sqlite3_io_methods, a stable part of SQLite's VFS interface: iVersion (an int in a
    // pointer-sized slot), then xClose, xRead, xWrite, xTruncate, xSync.
    private const int SyncSlot = 5;

    /// <summary>
    /// Everything written to the connection's main database file before the call is on disk when it
    /// returns. Not under SQLite's connection mutex: the caller must be the connection's only user.
    /// </summary>
    public static void Sync(SqliteConnection connection)
    {
        var database = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var added = false;
        try
        {
            database.DangerousAddRef(ref added);
            void* file = null;
            var result = FileControl(database.DangerousGetHandle(), "main\0"u8, FileControlFilePointer, &file);
            if (result != 0 || file is null)
            {
                throw new SqliteException("SQLite gave no file object for the ledger's database", result == 0 ? 1 : result);
            }

            // sqlite3_file begins with its methods; an in-memory database's file has none (nothing to sync).
            var methods = *(void***)file;
            if (methods is null)
            {
                return;
            }

            var sync = (delegate* unmanaged[Cdecl]<void*, int, int>)methods[SyncSlot];
            result = sync(file, SyncNormal);
            if (result != 0)
            {
                throw new SqliteException("fsync of the ledger's database file failed", result & 0xff, result);
            }
        }
        finally
        {
            if (added)
            {
                database.DangerousRelease();
            }
        }
    }

    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_file_control")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial int FileControl(IntPtr database, ReadOnlySpan<byte> name, int operation, void* argument);
}
