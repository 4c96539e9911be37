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
/// A batch is all or nothing: if any of its decisions is refused (see <c>isRefusal</c>: the patient's
/// revision moved, or the request id is taken), nothing of it was written and each decision is tried
/// again alone, so only the refused one falls back to the patient's transaction.
/// </remarks>
internal sealed class DecisionBatcher(
    Func<IReadOnlyList<UnchangedDecision>, Task> writeTogether,
    Func<UnchangedDecision, Task<bool>> writeAlone,
    Func<Exception, bool> isRefusal,
    int writers,
    int maxBatch,
    Action<int>? batchWritten = null)
{
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
                batch.Add(next);
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
        if (batch.Count > 1)
        {
            try
            {
                await writeTogether(batch);
                batchWritten?.Invoke(batch.Count);
                foreach (var decision in batch)
                {
                    decision.Written.TrySetResult(true);
                }

                return;
            }
            catch (Exception ex) when (isRefusal(ex))
            {
                // Nothing of the batch was written; alone, only the refused one is refused.
            }
            catch (Exception ex)
            {
                foreach (var decision in batch)
                {
                    decision.Written.TrySetException(ex);
                }

                return;
            }
        }

        await Task.WhenAll(batch.Select(WriteAloneAsync));
    }

    private async Task WriteAloneAsync(UnchangedDecision decision)
    {
        try
        {
            decision.Written.TrySetResult(await writeAlone(decision));
        }
        catch (Exception ex)
        {
            decision.Written.TrySetException(ex);
        }
    }
}
