using System.Data.Common;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// Single-command decisions written together (see <see cref="DecisionBatcher"/>), where the store
/// takes locks in one statement (<see cref="ILedgerDialect.LocksInOrderSql"/>): one batch sent
/// outside any transaction, which the store commits as one (<see cref="ILedgerDialect.CommitsCommandsAtomically"/>).
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>
    /// Batches in flight at once. Batches of one instance mostly share a chain, so they commit one
    /// after another whatever their number, and fewer writers make bigger batches; but a check that
    /// finds every writer busy waits for one. Measured (docs/benchmarks.md, tenth pass): with 2, a
    /// 1M-patient ledger at 500 checks/s had a p50 of 4.8-5.6 ms, with 4 3.8 ms, for about the same
    /// throughput at 1k; 8 made batches smaller and answered fewer checks.
    /// </summary>
    internal const int DecisionBatchWriters = 4;

    /// <summary>Enough to share one commit among all the checks a busy instance has in flight.</summary>
    internal const int MaxDecisionBatch = 64;

    /// <summary>
    /// How long a batch waits for any one lock before it gives up and its decisions go alone: far
    /// longer than another batch's commit (a few ms), far shorter than the command timeout.
    /// </summary>
    internal const int BatchLockWaitLimitMilliseconds = 250;

    private DecisionBatcher? _decisionBatcher;

    /// <summary>Fails (<see cref="ILedgerDialect.IsExpectationFailure"/>) unless every patient's revision is still the one its decision expects.</summary>
    private readonly string? _expectRevisionsSql = dialect.ArrayRowsSql(["@expected_patient_keys", "@expected_revisions"]) is { } expected
        ? "SELECT 1 / (SELECT COUNT(*) FROM (SELECT COUNT(*) AS current FROM " + expected + " AS expected (patient_key, revision) " +
          "WHERE COALESCE((SELECT revision FROM patient_revisions WHERE patient_revisions.patient_key = expected.patient_key), 0) = expected.revision) " +
          "AS batch WHERE batch.current = @expected_count AND " + dialect.StatementsSeeLatestCommitsSql + ")"
        : null;

    private readonly string? _insertUnreservedDecisionRowsSql = dialect.ArrayRowsSql(UnreservedDecisionColumns.Parameters) is { } rows
        ? "INSERT INTO decisions (" + string.Join(", ", UnreservedDecisionColumns.Names) + ") SELECT * FROM " + rows
        : null;

    private readonly string? _appendDecisionLinksSql = dialect.ArrayRowsSql(BatchAuditLinks.Parameters) is { } links
        ? BatchAuditLinks.AppendSql(dialect, links)
        : null;

    /// <summary>Single-command decisions waiting for one of the batch writers.</summary>
    internal int QueuedDecisions => Volatile.Read(ref _decisionBatcher)?.Queued ?? 0;

    /// <summary>
    /// Writes a decision that reserves nothing, made on the history at <paramref name="revision"/>,
    /// if that revision is still current and the request is new (see <see cref="_insertUnchangedDecisionSql"/>);
    /// false, with nothing written, if not. Returns once it is durable.
    /// </summary>
    private Task<bool> WriteUnchangedDecisionAsync(DecideRequest request, long revision, DecisionRecord decision, CancellationToken cancellationToken)
    {
        if (dialect.LocksInOrderSql is null || dialect.LockWaitLimitSql is null || _insertUnreservedDecisionRowsSql is null || _appendDecisionLinksSql is null)
        {
            return TryInsertUnchangedDecisionAsync(request, revision, decision, cancellationToken);
        }

        var batcher = Volatile.Read(ref _decisionBatcher) ?? StartDecisionBatcher();
        return batcher.WriteAsync(new UnchangedDecision(request, revision, decision, cancellationToken));
    }

    // Apart from the check's path: the factory closes over this ledger, a delegate per call otherwise.
    private DecisionBatcher StartDecisionBatcher() => LazyInitializer.EnsureInitialized(ref _decisionBatcher, () => new DecisionBatcher(
        WriteTogetherAsync,
        alone => TryInsertUnchangedDecisionAsync(alone.Request, alone.Revision, alone.Decision, alone.CancellationToken),
        DecisionBatchWriters,
        MaxDecisionBatch,
        _metrics.DecisionsBatched));

    /// <summary>
    /// What the single command does for each, for all at once: every lock of the batch first, in one
    /// global order; then the revisions they expect, checked in one statement; their rows, in one
    /// multi-row insert; and their links, in one statement (<see cref="BatchAuditLinks"/>).
    /// </summary>
    private Task WriteTogetherAsync(IReadOnlyList<UnchangedDecision> decisions) =>
        OnConnectionAsync(async connection =>
        {
            await using var batch = connection.CreateBatch();
            batch.BatchCommands.Add(Statement(batch, dialect.LockWaitLimitSql!).With("@lock_wait_limit_ms", BatchLockWaitLimitMilliseconds));
            batch.BatchCommands.Add(Statement(batch, dialect.LocksInOrderSql!).With("@locks", LocksInOrder(decisions)));
            batch.BatchCommands.Add(Statement(batch, _expectRevisionsSql!)
                .With("@expected_patient_keys", decisions.Select(unchanged => unchanged.Request.PatientKey.Value).ToArray())
                .With("@expected_revisions", decisions.Select(unchanged => unchanged.Revision).ToArray())
                .With("@expected_count", (long)decisions.Count));
            batch.BatchCommands.Add(Statement(batch, _insertUnreservedDecisionRowsSql!).WithColumns(decisions));
            batch.BatchCommands.Add(WithDecisionLinks(Statement(batch, _appendDecisionLinksSql!), decisions));

            // Returns once the batch's transaction committed.
            await batch.ExecuteNonQueryAsync(CancellationToken.None);
            return true;
        }, waitDurable: false, CancellationToken.None);

    /// <summary>
    /// The patients' locks in ascending order, then their chains' in ascending order. Every other
    /// write takes one patient's lock and then at most its chain's, so every transaction takes its
    /// locks in this one order and two of them can never wait for each other in a cycle.
    /// </summary>
    private long[] LocksInOrder(IReadOnlyList<UnchangedDecision> decisions)
    {
        var patients = new SortedSet<long>();
        var chains = new SortedSet<long>();
        foreach (var decision in decisions)
        {
            patients.Add(dialect.PatientLockKey(decision.Request.PatientKey));
            chains.Add(dialect.AuditChainLockKey(dialect.AuditChainOf(decision.Decision.PatientKey)));
        }

        return [.. patients, .. chains];
    }

    private DbBatchCommand WithDecisionLinks(DbBatchCommand command, IReadOnlyList<UnchangedDecision> decisions)
    {
        var count = decisions.Count;
        var (batchIndexes, chains, recordIds, contentHashes, geneses) = (new long[count], new long[count], new string[count], new string[count], new string[count]);
        for (var i = 0; i < count; i++)
        {
            var decision = decisions[i].Decision;
            var chain = dialect.AuditChainOf(decision.PatientKey);
            (batchIndexes[i], chains[i], recordIds[i], contentHashes[i], geneses[i]) =
                (i, chain, decision.DecisionId, DecisionContent(decision), AuditHash.GenesisOf(chain));
        }

        return command.WithArrays(BatchAuditLinks.Parameters, [batchIndexes, chains, recordIds, contentHashes, geneses])
            .With("@link_kind", AuditKind.Decision).With("@link_recorded_at", DateTimeOffset.UtcNow).With("@link_count", (long)count);
    }

    private static DbBatchCommand Statement(DbBatch batch, string sql)
    {
        var statement = batch.CreateBatchCommand();
        statement.CommandText = sql;
        return statement;
    }
}
