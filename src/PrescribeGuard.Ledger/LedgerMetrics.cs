using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PrescribeGuard.Ledger;

/// <summary>
/// What the ledger's write path did, for operators and the load test: which way each decision was
/// written (one command on PostgreSQL's fast path, or a transaction), how many of those PostgreSQL
/// commands went together in one batch, and on SQLite how many writes
/// each group commit carried, how long each WAL fsync took and how long checkpoints took (the
/// writer's own catch-up stalls every queued write). Meter <see cref="MeterName"/>, exported by the
/// guard's meter bridge when a meter factory is given; without one the totals are still kept (tests,
/// the load test).
/// </summary>
/// <remarks>
/// Decisions are counted with one interlocked add each and reported at scrape time (an observable
/// counter), so a check pays no tag look-up; the histograms are recorded once per batch or fsync.
/// </remarks>
public sealed class LedgerMetrics
{
    public const string MeterName = "PrescribeGuard.Ledger";

    private static readonly KeyValuePair<string, object?> ByWriter = new("by", "writer");
    private static readonly KeyValuePair<string, object?> InBackground = new("by", "background");

    private readonly Histogram<int>? _groupCommitWrites;
    private readonly Histogram<int>? _decisionBatchWrites;
    private readonly Histogram<double>? _walSyncSeconds;
    private readonly Histogram<double>? _checkpointSeconds;

    private long _singleCommandDecisions;
    private long _transactionDecisions;
    private long _decisionBatches;
    private long _batchedDecisions;
    private long _groupCommits;
    private long _groupCommitWritesTotal;
    private long _walSyncs;
    private long _walSyncTicks;
    private long _writerCheckpoints;
    private long _writerCheckpointTicks;
    private long _backgroundCheckpoints;
    private long _backgroundCheckpointTicks;

    public LedgerMetrics(IMeterFactory? meterFactory = null)
    {
        if (meterFactory is null)
        {
            return;
        }

        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter(
            "prescribeguard_ledger_decision_writes_total",
            ObserveDecisionWrites,
            description: "Decisions written, by path: single_command (PostgreSQL: nothing reserved, made on a history whose revision was still current, cached or read ahead) or transaction");
        _decisionBatchWrites = meter.CreateHistogram<int>(
            "prescribeguard_ledger_decision_batch_writes",
            description: "Single-command decisions written together in one PostgreSQL batch and commit (batches of two or more)");
        _groupCommitWrites = meter.CreateHistogram<int>(
            "prescribeguard_ledger_group_commit_writes",
            description: "Calls run in one SQLite group-committed transaction (replays included, failed ones not)");
        _walSyncSeconds = meter.CreateHistogram<double>(
            "prescribeguard_ledger_wal_sync",
            unit: "s",
            description: "Duration of one fsync round of the SQLite WAL (every file it syncs), which every write waits for before its reply");
        _checkpointSeconds = meter.CreateHistogram<double>(
            "prescribeguard_ledger_checkpoint",
            unit: "s",
            description: "Duration of one SQLite WAL checkpoint, by who ran it: background (beside the writer; with its fsync of the database file once the WAL is long) or writer (its catch-up between batches, which every queued write waits for)");
    }

    public void DecisionWritten(bool singleCommand)
    {
        if (singleCommand)
        {
            Interlocked.Increment(ref _singleCommandDecisions);
        }
        else
        {
            Interlocked.Increment(ref _transactionDecisions);
        }
    }

    /// <summary>A batch of <paramref name="decisions"/> single-command decisions committed together.</summary>
    public void DecisionsBatched(int decisions)
    {
        Interlocked.Increment(ref _decisionBatches);
        Interlocked.Add(ref _batchedDecisions, decisions);
        _decisionBatchWrites?.Record(decisions);
    }

    /// <summary>A group commit of <paramref name="writes"/> calls, counted at the commit (before its fsync).</summary>
    public void GroupCommitted(int writes)
    {
        Interlocked.Increment(ref _groupCommits);
        Interlocked.Add(ref _groupCommitWritesTotal, writes);
        _groupCommitWrites?.Record(writes);
    }

    public void WalSynced(long elapsedTimestampTicks)
    {
        Interlocked.Increment(ref _walSyncs);
        Interlocked.Add(ref _walSyncTicks, elapsedTimestampTicks);
        _walSyncSeconds?.Record((double)elapsedTimestampTicks / Stopwatch.Frequency);
    }

    public void Checkpointed(bool byWriter, long elapsedTimestampTicks)
    {
        if (byWriter)
        {
            Interlocked.Increment(ref _writerCheckpoints);
            Interlocked.Add(ref _writerCheckpointTicks, elapsedTimestampTicks);
        }
        else
        {
            Interlocked.Increment(ref _backgroundCheckpoints);
            Interlocked.Add(ref _backgroundCheckpointTicks, elapsedTimestampTicks);
        }

        _checkpointSeconds?.Record((double)elapsedTimestampTicks / Stopwatch.Frequency, byWriter ? ByWriter : InBackground);
    }

    public LedgerMetricsSnapshot Snapshot() => new(
        Interlocked.Read(ref _singleCommandDecisions),
        Interlocked.Read(ref _transactionDecisions),
        Interlocked.Read(ref _groupCommits),
        Interlocked.Read(ref _groupCommitWritesTotal),
        Interlocked.Read(ref _walSyncs),
        (double)Interlocked.Read(ref _walSyncTicks) / Stopwatch.Frequency,
        Interlocked.Read(ref _writerCheckpoints),
        (double)Interlocked.Read(ref _writerCheckpointTicks) / Stopwatch.Frequency,
        Interlocked.Read(ref _backgroundCheckpoints),
        (double)Interlocked.Read(ref _backgroundCheckpointTicks) / Stopwatch.Frequency,
        Interlocked.Read(ref _decisionBatches),
        Interlocked.Read(ref _batchedDecisions));

    private IEnumerable<Measurement<long>> ObserveDecisionWrites()
    {
        yield return new Measurement<long>(Interlocked.Read(ref _singleCommandDecisions), new KeyValuePair<string, object?>("path", "single_command"));
        yield return new Measurement<long>(Interlocked.Read(ref _transactionDecisions), new KeyValuePair<string, object?>("path", "transaction"));
    }
}

/// <summary>The ledger's totals since start (see <see cref="LedgerMetrics"/>); Since gives a phase's.</summary>
public readonly record struct LedgerMetricsSnapshot(
    long SingleCommandDecisions,
    long TransactionDecisions,
    long GroupCommits,
    long GroupCommitWrites,
    long WalSyncs,
    double WalSyncSeconds,
    long WriterCheckpoints,
    double WriterCheckpointSeconds,
    long BackgroundCheckpoints,
    double BackgroundCheckpointSeconds,
    long DecisionBatches,
    long BatchedDecisions)
{
    /// <summary>What happened between <paramref name="before"/> and this snapshot.</summary>
    public LedgerMetricsSnapshot Since(LedgerMetricsSnapshot before) => new(
        SingleCommandDecisions - before.SingleCommandDecisions,
        TransactionDecisions - before.TransactionDecisions,
        GroupCommits - before.GroupCommits,
        GroupCommitWrites - before.GroupCommitWrites,
        WalSyncs - before.WalSyncs,
        WalSyncSeconds - before.WalSyncSeconds,
        WriterCheckpoints - before.WriterCheckpoints,
        WriterCheckpointSeconds - before.WriterCheckpointSeconds,
        BackgroundCheckpoints - before.BackgroundCheckpoints,
        BackgroundCheckpointSeconds - before.BackgroundCheckpointSeconds,
        DecisionBatches - before.DecisionBatches,
        BatchedDecisions - before.BatchedDecisions);
}
