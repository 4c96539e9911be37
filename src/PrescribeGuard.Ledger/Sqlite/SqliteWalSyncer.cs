using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using PrescribeGuard.Domain.Errors;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Makes the writer's commits durable beside it, so that the writer need not wait for an fsync
/// before it runs the next batch. The writer commits with synchronous=NORMAL (the WAL frames are
/// written, not yet synced) and hands the batch over; this loop fsyncs the WAL file once for every
/// batch committed so far and only then completes their callers. An fsync covers everything
/// written to the file before it began, so a batch is answered only once it, and every batch
/// before it, is on disk: the guarantee of synchronous=FULL, with the writer's statements for the
/// next batch overlapping the previous batch's fsync. Reads outside the writer wait for the same
/// point (<see cref="WaitDurableAsync"/>), so nothing a crash could still take back is answered.
/// </summary>
/// <remarks>
/// Only the WAL file is opened here, never the database or its -shm file: SQLite's POSIX locks
/// live on those, and closing another descriptor of a locked file would drop them. A failed fsync
/// leaves it unknown what reached the disk (the kernel may have dropped the pages), so the ledger
/// then refuses every later write and read until restarted, as PostgreSQL does.
/// </remarks>
internal sealed class SqliteWalSyncer : IAsyncDisposable
{
    private readonly string _walPath;
    private readonly Channel<CommittedBatch> _committed = Channel.CreateUnbounded<CommittedBatch>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = true,
        AllowSynchronousContinuations = false,
    });

    private readonly Task _loop;
    private readonly List<CommittedBatch> _pending = [];
    private SafeFileHandle? _wal;
    private int _walGeneration = -1;
    private long _committedBatches;
    private long _durableBatches;
    private TaskCompletionSource _nextSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _failure;

    public SqliteWalSyncer(string databasePath)
    {
        _walPath = databasePath + "-wal";
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Waited for before each fsync when set; tests use it to hold a sync back.</summary>
    internal Func<Task>? Gate { get; set; }

    /// <summary>Set once an fsync failed: the ledger can no longer say what is durable.</summary>
    public Exception? Failure => _failure;

    /// <summary>
    /// The writer committed a batch on the connection of <paramref name="connectionGeneration"/>;
    /// <paramref name="complete"/> answers its callers (with the error when it cannot be made durable).
    /// </summary>
    public void Committed(int connectionGeneration, Action<Exception?> complete)
    {
        var batch = new CommittedBatch(Interlocked.Increment(ref _committedBatches), connectionGeneration, complete);
        if (!_committed.Writer.TryWrite(batch))
        {
            complete(NotDurable(new ObjectDisposedException(nameof(SqliteWalSyncer))));
        }
    }

    /// <summary>Completes once every batch committed before the call is durable.</summary>
    public async ValueTask WaitDurableAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _committedBatches);
        while (Interlocked.Read(ref _durableBatches) < target)
        {
            if (_failure is { } failure)
            {
                throw NotDurable(failure);
            }

            // Read the signal before checking again: a sync that ends in between has already
            // advanced the durable count, and one that ends later completes this signal.
            var next = Volatile.Read(ref _nextSync);
            if (Interlocked.Read(ref _durableBatches) >= target)
            {
                break;
            }

            await next.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Batches already handed over are still synced and answered.
        _committed.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _wal?.Dispose();
        _wal = null;
    }

    private async Task RunAsync()
    {
        while (await _committed.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_committed.Reader.TryRead(out var batch))
            {
                _pending.Add(batch);
            }

            var failure = _failure;
            if (failure is null)
            {
                try
                {
                    if (Gate is { } gate)
                    {
                        await gate().ConfigureAwait(false);
                    }

                    RandomAccess.FlushToDisk(WalHandle(_pending[^1].ConnectionGeneration));
                    Interlocked.Exchange(ref _durableBatches, _pending[^1].Sequence);
                }
                catch (Exception ex)
                {
                    _failure = failure = ex;
                }
            }

            var signal = Interlocked.Exchange(ref _nextSync, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            signal.TrySetResult();
            foreach (var batch in _pending)
            {
                batch.Complete(failure is null ? null : NotDurable(failure));
            }

            _pending.Clear();
        }
    }

    /// <summary>
    /// The WAL file as the writer's current connection uses it. A new writer connection may follow
    /// a WAL that SQLite deleted and created again (when the last connection closed), so the file is
    /// opened again for each connection.
    /// </summary>
    private SafeFileHandle WalHandle(int connectionGeneration)
    {
        if (_wal is null || _walGeneration != connectionGeneration)
        {
            _wal?.Dispose();
            _wal = File.OpenHandle(_walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _walGeneration = connectionGeneration;
        }

        return _wal;
    }

    private static GuardException NotDurable(Exception ex) =>
        GuardException.Unavailable(
            "LEDGER_UNAVAILABLE",
            "the ledger could not make its writes durable; restart the guard after checking its disk: " + ex.Message,
            ex);

    private sealed record CommittedBatch(long Sequence, int ConnectionGeneration, Action<Exception?> Complete);
}
