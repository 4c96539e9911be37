using System.Collections.Concurrent;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// Group commit for the single-command decisions of a store whose commands are round trips
/// (PostgreSQL): the decisions that arrive while the writers are busy go together in one batch, one
/// implicit transaction and one commit, instead of a round trip and a commit each. A caller's task
/// completes only after its batch committed. At most <c>writers</c> batches are in flight, so under
/// light load a decision goes alone at once (no waiting for company), and under heavy load the
/// batches grow to <c>maxBatch</c>. No thread waits while nothing is queued.
/// </summary>
/// <remarks>
/// A batch is all or nothing. If it fails for any reason (a decision refused because its patient's
/// revision moved or its request id is taken, a lock not granted in time, a deadlock, an outage),
/// nothing of it was written, and each decision is tried again alone: only the refused one then
/// falls back to the patient's transaction, and only the one whose patient is locked waits, so one
/// decision's trouble is not its batch's. Retrying is safe: the request id is unique.
/// </remarks>
internal sealed class DecisionBatcher(
    Func<IReadOnlyList<UnchangedDecision>, Task> writeTogether,
    Func<UnchangedDecision, Task<bool>> writeAlone,
    int writers,
    int maxBatch,
    Action<int>? batchWritten = null)
{
    /// <summary>Decisions of a failed batch written alone at once: each takes a connection of the pool.</summary>
    private const int AloneAtOnce = 8;

    private readonly ConcurrentQueue<UnchangedDecision> _queue = new();
    private int _writersRunning;

    /// <summary>Decisions waiting for a writer (tests wait for them to queue).</summary>
    internal int Queued => _queue.Count;

    /// <summary>True once written, false if refused with nothing written; throws as the store did otherwise.</summary>
    public Task<bool> WriteAsync(UnchangedDecision decision)
    {
        _queue.Enqueue(decision);
        if (TryTakeWriterSlot())
        {
            _ = Task.Run(WriteQueuedAsync);
        }

        return decision.Written.Task;
    }

    private bool TryTakeWriterSlot()
    {
        while (true)
        {
            var running = Volatile.Read(ref _writersRunning);
            if (running >= writers)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _writersRunning, running + 1, running) == running)
            {
                return true;
            }
        }
    }

    private async Task WriteQueuedAsync()
    {
        var batch = new List<UnchangedDecision>(maxBatch);
        while (true)
        {
            while (batch.Count < maxBatch && _queue.TryDequeue(out var next))
            {
                // One whose caller gave up while it was queued was answered then, and is not written.
                if (next.TryTake())
                {
                    batch.Add(next);
                }
            }

            if (batch.Count == 0)
            {
                Interlocked.Decrement(ref _writersRunning);

                // A decision queued just before the decrement, by a caller that found every writer
                // busy, would otherwise wait for a writer that never comes.
                if (_queue.IsEmpty || !TryTakeWriterSlot())
                {
                    return;
                }

                continue;
            }

            await WriteBatchAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<UnchangedDecision> batch)
    {
        if (batch.Count > 1 && await TryWriteTogetherAsync(batch))
        {
            batchWritten?.Invoke(batch.Count);
            foreach (var decision in batch)
            {
                decision.Written.TrySetResult(true);
            }

            return;
        }

        await Parallel.ForEachAsync(
            batch,
            new ParallelOptions { MaxDegreeOfParallelism = AloneAtOnce },
            async (decision, _) => await WriteAloneAsync(decision));
    }

    private async Task<bool> TryWriteTogetherAsync(List<UnchangedDecision> batch)
    {
        try
        {
            await writeTogether(batch);
            return true;
        }
        catch (Exception)
        {
            // Nothing of it was written (see the remarks): each goes alone.
            return false;
        }
    }

    private async Task WriteAloneAsync(UnchangedDecision decision)
    {
        try
        {
            decision.Written.TrySetResult(await writeAlone(decision));
        }
        catch (OperationCanceledException) when (decision.CancellationToken.IsCancellationRequested)
        {
            decision.Written.TrySetCanceled(decision.CancellationToken);
        }
        catch (Exception ex)
        {
            decision.Written.TrySetException(ex);
        }
    }
}
