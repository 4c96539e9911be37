using System.Diagnostics;
using System.Threading.Channels;
using PrescribeGuard.Domain.Errors;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// Makes the writer's commits durable beside it, so that the writer need not wait for an fsync
/// before it runs the next batch. The writer commits with synchronous=NORMAL (the WAL frames are
/// written, not yet synced) and hands every batch over; this loop fsyncs the WAL file once for all
/// the batches handed over so far and only then answers their callers. An fsync covers everything
/// written to the file before it began, so a batch is answered only once it, and every batch
/// before it, is on disk: the guarantee of synchronous=FULL, with the writer's statements for the
/// next batch overlapping the previous batch's fsync. Batches whose units all failed are answered
/// the same way, since a unit's error may rest on an earlier batch's writes.
/// </summary>
/// <remarks>
/// A read outside the writer asks for an fsync of its own after it has read
/// (<see cref="WaitDurableAsync"/>): whatever it saw, committed by this process or another one on
/// the same file, was then in the WAL file (or already checkpointed, which syncs the WAL first), so
/// it is durable before the read answers. Concurrent requests share one fsync. A failed fsync leaves
/// it unknown what reached the disk (the kernel may have dropped the pages), so the ledger then
/// refuses every later write and read until restarted, as PostgreSQL does.
/// </remarks>
internal sealed class SqliteWalSyncer : IAsyncDisposable
{
    private readonly Channel<SyncRequest> _requests = Channel.CreateUnbounded<SyncRequest>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = false,
    });

    private readonly Task _loop;
    private readonly List<SyncRequest> _pending = [];
    private readonly List<SqliteWalFile> _toSync = [];
    private readonly List<SqliteWalFile> _retired = [];
    private SqliteWalFile? _current;
    private volatile Exception? _failure;

    private readonly LedgerMetrics _metrics;

    public SqliteWalSyncer(LedgerMetrics metrics)
    {
        _metrics = metrics;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Waited for before each fsync when set; tests use it to hold a sync back.</summary>
    internal Func<Task>? Gate { get; set; }

    /// <summary>The WAL file synced for reads; tests check it is the real one.</summary>
    internal string? CurrentWalPath => Volatile.Read(ref _current)?.Path;

    /// <summary>Set once an fsync failed: the ledger can no longer say what is durable.</summary>
    public Exception? Failure => _failure;

    public bool HasWalFile => Volatile.Read(ref _current) is not null;

    /// <summary>A WAL file a reader found before the writer had a connection; kept only if there is none yet.</summary>
    public void UseIfNone(SqliteWalFile wal)
    {
        if (Interlocked.CompareExchange(ref _current, wal, null) is not null)
        {
            wal.Dispose();
        }
    }

    /// <summary>
    /// The WAL file of the writer's new connection; from now on reads sync it. The previous one is
    /// closed after the batches handed over before this call (the only ones that name it) are synced.
    /// </summary>
    public void Use(SqliteWalFile wal)
    {
        var previous = Interlocked.Exchange(ref _current, wal);
        if (previous is not null && !_requests.Writer.TryWrite(new SyncRequest(null, null, previous)))
        {
            previous.Dispose();
        }
    }

    /// <summary>
    /// The writer ran a batch on the connection writing <paramref name="wal"/> (committed or rolled
    /// back); <paramref name="complete"/> answers its callers once it is durable, or with the error.
    /// </summary>
    public void AfterBatch(SqliteWalFile wal, Action<Exception?> complete)
    {
        if (!_requests.Writer.TryWrite(new SyncRequest(wal, complete, null)))
        {
            complete(NotDurable(new ObjectDisposedException(nameof(SqliteWalSyncer))));
        }
    }

    /// <summary>Completes once everything the caller has read is durable.</summary>
    public async ValueTask WaitDurableAsync(CancellationToken cancellationToken)
    {
        ThrowIfBroken();
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new SyncRequest(null, failure =>
        {
            if (failure is null)
            {
                synced.TrySetResult();
            }
            else
            {
                synced.TrySetException(failure);
            }
        }, null);
        if (!_requests.Writer.TryWrite(request))
        {
            throw NotDurable(new ObjectDisposedException(nameof(SqliteWalSyncer)));
        }

        await synced.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Another fsync of the ledger's files failed (the database file's, see <see cref="SqliteCheckpointer"/>):
    /// from now on every write and read is refused, as after a failed fsync of the WAL.
    /// </summary>
    public void Fail(Exception failure) => Interlocked.CompareExchange(ref _failure, failure, null);

    public void ThrowIfBroken()
    {
        if (_failure is { } failure)
        {
            throw NotDurable(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Requests already made are still synced and answered.
        _requests.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        Interlocked.Exchange(ref _current, null)?.Dispose();
    }

    private async Task RunAsync()
    {
        while (await _requests.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_requests.Reader.TryRead(out var request))
            {
                _pending.Add(request);
            }

            try
            {
                await SyncPendingAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Whatever went wrong, no caller may be left waiting, nor told its write is durable.
                _failure ??= ex;
            }

            foreach (var request in _pending)
            {
                request.Complete?.Invoke(_failure is { } failure ? NotDurable(failure) : null);
            }

            _pending.Clear();
            foreach (var wal in _retired)
            {
                wal.Dispose();
            }

            _retired.Clear();
        }
    }

    private async Task SyncPendingAsync()
    {
        // The files written by the batches handed over (one, unless the writer reconnected) and,
        // for reads, the current one.
        _toSync.Clear();
        foreach (var request in _pending)
        {
            if (request.Wal is { } wal && !_toSync.Contains(wal))
            {
                _toSync.Add(wal);
            }
            else if (request.Retired is { } retired)
            {
                _retired.Add(retired);
            }
        }

        if (Volatile.Read(ref _current) is { } current && !_toSync.Contains(current))
        {
            _toSync.Add(current);
        }

        if (_failure is not null)
        {
            return;
        }

        if (Gate is { } gate)
        {
            await gate().ConfigureAwait(false);
        }

        if (_toSync.Count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        foreach (var wal in _toSync)
        {
            wal.Sync();
        }

        _metrics.WalSynced(Stopwatch.GetTimestamp() - started);
    }

    private static GuardException NotDurable(Exception ex) =>
        GuardException.Unavailable(
            "LEDGER_UNAVAILABLE",
            "the ledger could not make its writes durable; restart the guard after checking its disk: " + ex.Message,
            ex);

    /// <summary>A batch (its WAL and callers), a read (callers only), or a WAL file to close after this round.</summary>
    private sealed record SyncRequest(SqliteWalFile? Wal, Action<Exception?>? Complete, SqliteWalFile? Retired);
}
