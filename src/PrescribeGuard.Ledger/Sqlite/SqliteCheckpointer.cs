using Microsoft.Data.Sqlite;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Moves WAL checkpoints off the writer. The writer connection runs with wal_autocheckpoint=0, so
/// a commit never stops to copy the WAL into the database file (and fsync it) while checks wait;
/// instead this runs PRAGMA wal_checkpoint(PASSIVE) on its own connection every
/// <see cref="Interval"/> when something was committed since the last one. PASSIVE checkpoints do
/// not block the writer or readers; the WAL is reused from its start once a checkpoint caught up.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly string _connectionString;
    private readonly Func<long> _commits;
    private readonly Timer _timer;
    private SqliteConnection? _connection;
    private long _checkpointedAt;
    private int _running;

    public SqliteCheckpointer(string connectionString, Func<long> commits)
    {
        _connectionString = connectionString;
        _commits = commits;
        _timer = new Timer(_ => Run(), null, Interval, Interval);
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync(); // waits for a running checkpoint
        Run(); // the last commits, so a clean shutdown leaves a short WAL
        _connection?.Dispose();
        _connection = null;
    }

    private void Run()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            var commits = _commits();
            if (commits == _checkpointedAt)
            {
                return;
            }

            if (_connection is null)
            {
                _connection = new SqliteConnection(_connectionString);
                _connection.Open();
            }

            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout=1000; PRAGMA wal_checkpoint(PASSIVE);";
            command.ExecuteNonQuery();
            _checkpointedAt = commits;
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
