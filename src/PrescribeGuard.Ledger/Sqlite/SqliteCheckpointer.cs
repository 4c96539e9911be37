using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Moves WAL checkpoints off the writer. The writer connection runs with wal_autocheckpoint=0, so
/// a commit never stops to copy the WAL into the database file (and fsync it) while checks wait;
/// instead this runs PRAGMA wal_checkpoint(PASSIVE) on its own connection every
/// <see cref="DefaultInterval"/> when something was committed since the last one. PASSIVE checkpoints do
/// not block the writer or readers.
/// </summary>
/// <remarks>
/// SQLite reuses the WAL from its start only when a write transaction begins with every frame
/// already copied, which a checkpoint running beside a busy writer never sees: under sustained load
/// the WAL grew by every commit (hundreds of MB in a minute), so each commit appended to new file
/// blocks (allocation, journaled metadata in its fsync) and lookups searched an ever larger WAL
/// index. So once the WAL holds <see cref="DefaultRestartFrames"/> frames, the writer itself, between two
/// batches, copies what the last background checkpoint left (<see cref="AfterBatch"/>), and its next
/// transaction starts the WAL over. The background checkpoints keep that remainder, and the pause,
/// short: SQLite syncs the database file only in the checkpoint that reaches the WAL's end, the
/// writer's, so before the writer is told to catch up the background fsyncs the pages it copied
/// (<see cref="SqliteDatabaseFile"/>); the writer's own fsync then writes out only its remainder.
/// </remarks>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>
    /// Between background checkpoints. Measured against 50 ms: fewer database fsyncs contending with
    /// the WAL's, ≈6 % more checks/s; the writer's catch-up then copies up to this long's frames.
    /// </summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>About 16 MiB of 4 KiB pages: large enough that the writer pauses rarely.</summary>
    public const long DefaultRestartFrames = 4096;

    private const string CheckpointSql = "PRAGMA wal_checkpoint(PASSIVE);";

    private readonly string _connectionString;
    private readonly long _restartFrames;
    private readonly LedgerMetrics _metrics;
    private readonly SqliteWalSyncer _syncer;
    private readonly Timer _timer;
    private SqliteConnection? _connection;
    private long _batches;
    private long _checkpointedAt;
    private long _walFrames;
    private int _running;

    /// <param name="syncer">Told when an fsync of the database file failed (what reached the disk is
    /// then unknown, so the ledger stops before the WAL that still holds it can start over); once it
    /// has failed, for any file, no checkpoint runs.</param>
    public SqliteCheckpointer(string connectionString, long restartFrames, TimeSpan interval, LedgerMetrics metrics, SqliteWalSyncer syncer)
    {
        _connectionString = connectionString;
        _restartFrames = restartFrames;
        _metrics = metrics;
        _syncer = syncer;
        _timer = new Timer(_ => Run(), null, interval, interval);
    }

    /// <summary>How the background syncs the database file (tests make it fail).</summary>
    internal Action<SqliteConnection> SyncDatabase { get; set; } = SqliteDatabaseFile.Sync;

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync(); // waits for a running checkpoint
        Run(); // the last commits, so a clean shutdown leaves a short WAL
        _connection?.Dispose();
        _connection = null;
    }

    /// <summary>
    /// Called by the writer after each batch, outside any transaction: notes the commit for the next
    /// background checkpoint and, once the WAL is long, copies its remainder into the database so that
    /// the writer's next transaction starts the WAL over. Nothing else writes meanwhile, so this
    /// checkpoint can finish; failing, it is tried again after the next batch.
    /// </summary>
    public void AfterBatch(SqliteConnection writer)
    {
        Interlocked.Increment(ref _batches);
        if (Volatile.Read(ref _walFrames) < _restartFrames || _syncer.Failure is not null)
        {
            return;
        }

        try
        {
            // All copied: the writer's next transaction starts the WAL over, unless a reader still
            // reads from it; then the WAL stays long, the next background checkpoint reports its
            // length again, and the batch after that catches up once more.
            var started = Stopwatch.GetTimestamp();
            var outcome = Checkpoint(writer);
            _metrics.Checkpointed(byWriter: true, Stopwatch.GetTimestamp() - started);
            if (outcome is var (frames, copied))
            {
                Volatile.Write(ref _walFrames, copied == frames ? 0 : frames);
            }
        }
        catch (SqliteException ex) when (IsDurabilityFailure(ex))
        {
            _syncer.Fail(ex);
        }
        catch (SqliteException)
        {
            // The background checkpoint holds the checkpoint lock, or the file is busy: next batch.
        }
    }

    /// <summary>
    /// A checkpoint's write or fsync failed: the pages it and earlier checkpoints copied are of
    /// unknown state on disk, and a retry would copy only from where the last one stopped, then
    /// sync "successfully" (Linux reports a writeback error once) and let the WAL start over.
    /// </summary>
    internal static bool IsDurabilityFailure(SqliteException exception) =>
        exception.SqliteExtendedErrorCode is 778 or 1034 or 1290 or 1546; // SQLITE_IOERR_WRITE, _FSYNC, _DIR_FSYNC, _TRUNCATE

    /// <summary>Runs a PASSIVE checkpoint: the frames in the WAL and how many are copied, or null if it was busy.</summary>
    private static (long Frames, long Copied)? Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = CheckpointSql;
        using var reader = command.ExecuteReader();

        // One row: busy (1 if it could not run), frames in the WAL, frames copied into the database.
        return reader.Read() && reader.GetInt64(0) == 0 ? (reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    /// <summary>Opens the checkpointer's connection; null if its first database sync has just stopped the ledger.</summary>
    private SqliteConnection? Connect()
    {
        var connection = _connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteWalOnClose.Keep(connection);
        using (var timeout = connection.CreateCommand())
        {
            timeout.CommandText = "PRAGMA busy_timeout=1000;";
            timeout.ExecuteNonQuery();
        }

        // Once on each connection, so that a database file SQLite cannot sync this way stops the
        // ledger now, not minutes into the load when the WAL first grows long.
        return TrySyncDatabase(connection) ? connection : null;
    }

    private bool TrySyncDatabase(SqliteConnection connection)
    {
        try
        {
            SyncDatabase(connection);
            return true;
        }
        catch (Exception ex)
        {
            _syncer.Fail(ex);
            return false;
        }
    }

    private void Run()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            var batches = Interlocked.Read(ref _batches);
            if (batches == _checkpointedAt || _syncer.Failure is not null)
            {
                return;
            }

            var connection = _connection ?? Connect();
            if (connection is null)
            {
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var outcome = Checkpoint(connection);
            if (outcome is var (frames, _))
            {
                // The writer catches up once told the WAL is long: first make durable what this
                // copied, off the writer's path.
                if (frames >= _restartFrames && !TrySyncDatabase(connection))
                {
                    return;
                }

                Volatile.Write(ref _walFrames, frames);
            }

            _metrics.Checkpointed(byWriter: false, Stopwatch.GetTimestamp() - started);

            _checkpointedAt = batches;
        }
        catch (SqliteException ex) when (IsDurabilityFailure(ex))
        {
            _syncer.Fail(ex);
        }
        catch (SqliteException)
        {
            // Busy or unavailable now: the next tick tries again (SQLite stays correct either way,
            // only the WAL grows until a checkpoint succeeds).
            _connection?.Dispose();
            _connection = null;
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
