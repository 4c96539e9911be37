using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Group commit for the embedded ledger. SQLite has one writer per file, so every write unit is
/// queued here and one loop runs them, in arrival order, on one long-lived connection: it takes all
/// the units queued while the previous batch was committing, runs each in its own SAVEPOINT of one
/// transaction and commits once. The commit's fsync is left to <see cref="SqliteWalSyncer"/>, which
/// completes each unit's task only once its batch is on disk, while this loop already runs the next
/// batch. A unit that throws rolls back to its savepoint and fails alone; the others commit. A
/// failure that loses the transaction (or the commit itself) fails every unit of the batch, none of
/// which is then durable.
/// </summary>
/// <remarks>
/// Units run strictly one after another and each sees the writes of the units before it, so checks
/// for one patient stay serialised exactly as with one transaction per check; callers resume only
/// after their batch is durable, so whatever they do next (cache writes) follows the durable write.
/// A unit may read a previous batch's writes before that batch is synced, but its own answer waits
/// for its own batch's fsync, which covers the earlier one too.
/// </remarks>
internal sealed class SqliteGroupCommitWriter : IAsyncDisposable
{
    /// <summary>Enough to amortise an fsync over many checks while keeping one batch short (a few ms).</summary>
    public const int MaxBatch = 256;

    // Run as kept (prepared once) commands of the writer connection.
    private const string SavepointSql = "SAVEPOINT unit";
    private const string RollbackToSavepointSql = "ROLLBACK TO SAVEPOINT unit";
    private const string ReleaseSavepointSql = "RELEASE SAVEPOINT unit";

    // From the second commit of a connection on: the WAL is synced by the syncer, not by the commit.
    // The first commit stays FULL because SQLite syncs the WAL's directory entry with a new WAL's
    // first fsync, which only its own sync does.
    private const string PipelinedSyncSql = "PRAGMA synchronous=NORMAL";

    private readonly Func<SqliteWriterConnection> _connect;
    private readonly Action<SqliteWriterConnection> _betweenBatches;
    private readonly SqliteWalSyncer _syncer;
    private readonly Channel<WriteUnit> _queue = Channel.CreateUnbounded<WriteUnit>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    private readonly LedgerMetrics _metrics;
    private readonly Task _loop;
    private SqliteWriterConnection? _connection;
    private SqliteWalFile? _wal;
    private bool _pipelined;
    private int _queued;

    /// <param name="betweenBatches">Runs on the writer connection after each batch's callers are
    /// completed and before the next batch, outside any transaction (WAL upkeep).</param>
    public SqliteGroupCommitWriter(Func<SqliteWriterConnection> connect, Action<SqliteWriterConnection> betweenBatches, SqliteWalSyncer syncer, LedgerMetrics metrics)
    {
        _connect = connect;
        _betweenBatches = betweenBatches;
        _syncer = syncer;
        _metrics = metrics;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Units queued and not yet taken into a batch (tests; the single-reader channel cannot count).</summary>
    internal int QueuedUnits => Volatile.Read(ref _queued);

    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var unit = new WriteUnit<T>(work, cancellationToken);
        Interlocked.Increment(ref _queued);
        if (_queue.Writer.TryWrite(unit))
        {
            return unit.Task;
        }

        Interlocked.Decrement(ref _queued);
        return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteDialect), "the ledger is shutting down"));
    }

    public async ValueTask DisposeAsync()
    {
        // Units already queued still run; new ones are refused.
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteUnit>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var unit))
                {
                    Interlocked.Decrement(ref _queued);
                    if (!unit.CancelIfRequested())
                    {
                        batch.Add(unit);
                    }
                }

                if (batch.Count > 0)
                {
                    try
                    {
                        await RunBatchAsync(batch).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // The loop must outlive any batch: a dead writer would leave every later call waiting.
                        FailAll(batch, Lost(ex));
                        DropConnection();
                    }

                    batch.Clear();
                }
            }
        }
        finally
        {
            DropConnection();
        }
    }

    private async Task RunBatchAsync(List<WriteUnit> batch)
    {
        if (_syncer.Failure is { } notDurable)
        {
            FailAll(batch, Lost(notDurable));
            return;
        }

        SqliteWriterConnection connection;
        SqliteTransaction transaction;
        try
        {
            connection = _connection ?? OpenConnection();
            transaction = connection.BeginTransaction(); // BEGIN IMMEDIATE: waits (busy_timeout) for other processes' writers
        }
        catch (Exception ex)
        {
            FailAll(batch, ex);
            DropConnection();
            return;
        }

        // A lone unit needs no savepoint: if it fails, the whole transaction is rolled back.
        var savepoints = batch.Count > 1;
        var succeeded = 0;
        try
        {
            foreach (var unit in batch)
            {
                if (!unit.TryTake())
                {
                    continue;
                }

                if (savepoints)
                {
                    Execute(connection, transaction, SavepointSql);
                }

                try
                {
                    await unit.RunAsync(connection, transaction).ConfigureAwait(false);
                    succeeded++;
                }
                catch (Exception ex)
                {
                    unit.Failed = ex;

                    // Throws when the transaction itself is gone (e.g. an I/O error rolled it back);
                    // the other units then fail as unavailable, not with this unit's own error.
                    if (savepoints)
                    {
                        Execute(connection, transaction, RollbackToSavepointSql);
                    }
                    else
                    {
                        transaction.Rollback();
                    }
                }

                if (savepoints)
                {
                    Execute(connection, transaction, ReleaseSavepointSql);
                }
            }

            if (succeeded > 0)
            {
                transaction.Commit();
                _metrics.GroupCommitted(succeeded);
            }
            else if (savepoints)
            {
                transaction.Rollback();
            }
        }
        catch (Exception ex)
        {
            // The transaction is lost: nothing of this batch is durable. Still answered after a
            // sync, like any batch whose units ran: a unit may have failed on an unsynced batch.
            TryRollback(transaction);
            var lost = Lost(ex);
            var failed = batch.ToArray();
            _syncer.AfterBatch(_wal!, failure => CompleteAll(failed, failure ?? lost));
            DropConnection();
            return;
        }
        finally
        {
            transaction.Dispose();
        }

        // Answered after the next fsync even when nothing committed: a unit's error (a reused id, a
        // reservation already confirmed) may rest on an earlier batch that is not yet synced.
        var units = batch.ToArray();
        _syncer.AfterBatch(_wal!, failure => CompleteAll(units, failure));
        try
        {
            if (succeeded > 0 && !_pipelined)
            {
                Execute(connection, null, PipelinedSyncSql);
                _pipelined = true;
            }

            _betweenBatches(connection);
        }
        catch (Exception)
        {
            // Upkeep after the batch failed, not the batch (handed over, it is answered as synced):
            // start again on a new connection.
            DropConnection();
        }
    }

    private SqliteWriterConnection OpenConnection()
    {
        var connection = _connect();
        try
        {
            // A read makes sure the WAL file exists, so that the handle on it is taken now, while
            // this connection keeps it from being deleted.
            Execute(connection, null, "SELECT COUNT(*) FROM sqlite_master");
            var wal = SqliteWalFile.Of(connection) ?? throw new IOException("the ledger's database has no WAL file");
            _syncer.Use(wal);
            _wal = wal;
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _connection = connection;
        _pipelined = false;
        return connection;
    }

    /// <summary>Answers every unit: each with its own error if it failed, else with <paramref name="failure"/> if any.</summary>
    private static void CompleteAll(IReadOnlyList<WriteUnit> units, Exception? failure)
    {
        foreach (var unit in units)
        {
            if (failure is not null)
            {
                unit.Failed ??= failure;
            }

            unit.Complete();
        }
    }

    private static GuardException Lost(Exception ex) =>
        GuardException.Unavailable("LEDGER_UNAVAILABLE", "the ledger transaction was lost; nothing of this call was recorded: " + ex.Message, ex);

    private static void Execute(SqliteWriterConnection connection, SqliteTransaction? transaction, string sql) =>
        connection.Command(transaction, sql).ExecuteNonQuery();

    private static void TryRollback(SqliteTransaction transaction)
    {
        try
        {
            transaction.Rollback();
        }
        catch (Exception)
        {
            // Already rolled back by SQLite, or the connection is unusable: it is dropped next.
        }
    }

    private static void FailAll(List<WriteUnit> batch, Exception ex)
    {
        foreach (var unit in batch)
        {
            unit.Failed ??= ex;
            unit.Complete();
        }
    }

    private void DropConnection()
    {
        var connection = _connection;
        _connection = null;
        connection?.Dispose();
    }

    private abstract class WriteUnit
    {
        public Exception? Failed { get; set; }

        /// <summary>Cancels a unit whose caller gave up before it ran; true when it did.</summary>
        public abstract bool CancelIfRequested();

        /// <summary>
        /// Takes the unit to run, after which its caller's token no longer answers it: what the unit
        /// wrote commits with the batch, so the caller must hear its result, not "cancelled" (a
        /// retry under a new request id would otherwise find the patient held by its own reservation).
        /// False, and the caller answered cancelled, when it gave up first.
        /// </summary>
        public abstract bool TryTake();

        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        /// <summary>After the commit (or the failure): completes the caller's task.</summary>
        public abstract void Complete();
    }

    private sealed class WriteUnit<T> : WriteUnit
    {
        private readonly Func<DbConnection, DbTransaction, Task<T>> _work;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;
        private T _result = default!;

        public WriteUnit(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
        {
            _work = work;
            _cancellationToken = cancellationToken;

            // A caller that gives up while queued is answered at once, not when the writer gets to it.
            _registration = cancellationToken.Register(static state => ((WriteUnit<T>)state!).Cancel(), this);
        }

        public Task<T> Task => _completion.Task;

        public override bool CancelIfRequested()
        {
            if (!_cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            Cancel();
            return true;
        }

        public override bool TryTake()
        {
            // A token that cannot be cancelled registered nothing (and its registration unregisters nothing).
            if (!_cancellationToken.CanBeCanceled || (!_cancellationToken.IsCancellationRequested && _registration.Unregister()))
            {
                return true;
            }

            Cancel();
            return false;
        }

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction) =>
            _result = await _work(connection, transaction).ConfigureAwait(false);

        public override void Complete()
        {
            _registration.Dispose();
            switch (Failed)
            {
                case null:
                    _completion.TrySetResult(_result);
                    break;
                case OperationCanceledException when _cancellationToken.IsCancellationRequested:
                    Cancel();
                    break;
                default:
                    _completion.TrySetException(Failed);
                    break;
            }
        }

        private void Cancel() => _completion.TrySetCanceled(_cancellationToken);
    }
}

/// <summary>
/// The writer's own connection: opened once, configured once, and keeping its prepared commands
/// (one per SQL text) for the life of the connection, so a check does not re-prepare its statements.
/// </summary>
internal sealed class SqliteWriterConnection : SqliteConnection, ICommandCache
{
    private readonly Dictionary<string, KeptCommand> _commands = new(StringComparer.Ordinal);

    public SqliteWriterConnection(string connectionString)
        : base(connectionString)
    {
    }

    public DbCommand Command(DbTransaction? transaction, string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = new KeptCommand { Connection = this, CommandText = sql, CommandTimeout = DefaultTimeout };
            _commands.Add(sql, command);
        }
        else
        {
            command.Parameters.Clear();
        }

        command.Transaction = (SqliteTransaction?)transaction;
        return command;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var command in _commands.Values)
            {
                command.Release();
            }

            _commands.Clear();
        }

        base.Dispose(disposing);
    }

    /// <summary>A command that outlives the using blocks of the code that runs it.</summary>
    private sealed class KeptCommand : SqliteCommand
    {
        private bool _released;

        public void Release()
        {
            _released = true;
            Dispose();
        }

        protected override void Dispose(bool disposing)
        {
            if (_released)
            {
                base.Dispose(disposing);
            }
        }
    }
}

