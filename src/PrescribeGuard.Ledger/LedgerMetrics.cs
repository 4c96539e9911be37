using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PrescribeGuard.Ledger;

/// <summary>
/// What the ledger's write path did, for operators and the load test: which way each decision was
/// written (one command on PostgreSQL's fast path, or a transaction), and on SQLite how many writes
/// each group commit carried and how long each WAL fsync took, the two figures that set an embedded
/// check's latency. Meter <see cref="MeterName"/>, exported by the guard's meter bridge when a meter
/// factory is given; without one the totals are still kept (tests, the load test).
/// </summary>
/// <remarks>
/// Decisions are counted with one interlocked add each and reported at scrape time (an observable
/// counter), so a check pays no tag look-up; the histograms are recorded once per batch or fsync.
/// </remarks>
public sealed class LedgerMetrics
{
    public const string MeterName = "PrescribeGuard.Ledger";

    private readonly Histogram<int>? _groupCommitUnits;
    private readonly Histogram<double>? _walSyncSeconds;

    private long _singleCommandDecisions;
    private long _transactionDecisions;
    private long _groupCommits;
    private long _groupCommitUnitsTotal;
    private long _walSyncs;
    private long _walSyncTicks;

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
            description: "Decisions written, by path: single_command (PostgreSQL, cached history unchanged, nothing reserved) or transaction");
        _groupCommitUnits = meter.CreateHistogram<int>(
            "prescribeguard_ledger_group_commit_units",
            description: "Writes committed together by one SQLite group commit");
        _walSyncSeconds = meter.CreateHistogram<double>(
            "prescribeguard_ledger_wal_sync",
            unit: "s",
            description: "Duration of one fsync of the SQLite WAL, which every write waits for before its reply");
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

    public void GroupCommitted(int units)
    {
        Interlocked.Increment(ref _groupCommits);
        Interlocked.Add(ref _groupCommitUnitsTotal, units);
        _groupCommitUnits?.Record(units);
    }

    public void WalSynced(long elapsedTimestampTicks)
    {
        Interlocked.Increment(ref _walSyncs);
        Interlocked.Add(ref _walSyncTicks, elapsedTimestampTicks);
        _walSyncSeconds?.Record((double)elapsedTimestampTicks / Stopwatch.Frequency);
    }

    public LedgerMetricsSnapshot Snapshot() => new(
        Interlocked.Read(ref _singleCommandDecisions),
        Interlocked.Read(ref _transactionDecisions),
        Interlocked.Read(ref _groupCommits),
        Interlocked.Read(ref _groupCommitUnitsTotal),
        Interlocked.Read(ref _walSyncs),
        (double)Interlocked.Read(ref _walSyncTicks) / Stopwatch.Frequency);

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
    long GroupCommitUnits,
    long WalSyncs,
    double WalSyncSeconds)
{
    /// <summary>What happened between <paramref name="before"/> and this snapshot.</summary>
    public LedgerMetricsSnapshot Since(LedgerMetricsSnapshot before) => new(
        SingleCommandDecisions - before.SingleCommandDecisions,
        TransactionDecisions - before.TransactionDecisions,
        GroupCommits - before.GroupCommits,
        GroupCommitUnits - before.GroupCommitUnits,
        WalSyncs - before.WalSyncs,
        WalSyncSeconds - before.WalSyncSeconds);
}
