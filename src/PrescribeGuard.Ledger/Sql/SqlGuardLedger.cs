using System.Data.Common;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The ledger on a relational store. Every write runs in one transaction serialised per patient
/// (see <see cref="ILedgerDialect.WriteAsync"/>: a per-patient lock on PostgreSQL, the single
/// group-committing writer on SQLite), so a check reads the history it decides on and commits its
/// decision before any other check for the same patient can read; the call returns only after
/// the commit.
/// </summary>
/// <param name="time">The clock a write reads once it holds the patient's lock (the callers' clock).</param>
public sealed partial class SqlGuardLedger(ILedgerDialect dialect, IHistoryCache cache, LedgerMetrics? metrics = null, TimeProvider? time = null) : IGuardLedger
{
    private static readonly PatientKey SchemaLockKey = new("schema-migration");

    private const string PatientKeyVerifierName = "patient_key_verifier";

    private readonly LedgerMetrics _metrics = metrics ?? new LedgerMetrics();

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Decisions written by the single-command path (see <see cref="TryInsertUnchangedDecisionAsync"/>).</summary>
    internal long SingleCommandDecisions => _metrics.Snapshot().SingleCommandDecisions;

    /// <summary>Decisions written by the patient's transaction (replays write nothing and are not counted).</summary>
    internal long TransactionDecisions => _metrics.Snapshot().TransactionDecisions;

    public string Provider => dialect.Name;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await InWriteTransactionAsync(SchemaLockKey, async (connection, transaction) =>
        {
            // Another instance's migration (the schema-6 step alone runs minutes on a large ledger) holds
            // this lock: wait it out rather than fail start-up at the command timeout. A command of its
            // own, so that no cached command of the same text keeps the unlimited timeout.
            if (dialect.PatientLockSql is { } schemaLock)
            {
                await using var wait = connection.CreateCommand().Unhurried();
                wait.Transaction = transaction;
                wait.CommandText = schemaLock;
                await wait.With("@patient_lock", dialect.PatientLockKey(SchemaLockKey)).ExecuteNonQueryAsync(cancellationToken);
            }

            await connection.Command(transaction, "CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL)")
                .ExecuteNonQueryAsync(cancellationToken);
            var current = await connection.Command(transaction, "SELECT COALESCE(MAX(version), 0) FROM ledger_schema")
                .ExecuteScalarAsync(cancellationToken);
            var version = Convert.ToInt32(current, System.Globalization.CultureInfo.InvariantCulture);
            if (version > dialect.Migrations.Count)
            {
                // An older guard on a newer ledger would write what the newer schema requires more of
                // (since version 6, a dispense without its audit link).
                throw new InvalidOperationException(
                    $"the ledger is at schema version {version}, newer than this guard's {dialect.Migrations.Count}: run a guard built for schema version {version} or later");
            }

            for (var next = version; next < dialect.Migrations.Count; next++)
            {
                // A migration that copies a table may run far longer than any check may: no command timeout.
                if (dialect.Migrations[next].Length > 0)
                {
                    await connection.Command(transaction, dialect.Migrations[next]).Unhurried().ExecuteNonQueryAsync(cancellationToken);
                }

                if (next + 1 == ReportsChainedFromVersion)
                {
                    await LinkReportsRecordedBeforeAsync(connection, transaction, cancellationToken);
                }

                await connection.Command(transaction, "INSERT INTO ledger_schema (version) VALUES (@version)")
                    .With("@version", next + 1)
                    .ExecuteNonQueryAsync(cancellationToken);
            }

            return version;
        }, cancellationToken, lockInFirstCommand: true);
    }

    public Task<string> ClaimPatientKeyVerifierAsync(string verifier, CancellationToken cancellationToken) =>
        InWriteTransactionAsync(SchemaLockKey, async (connection, transaction) =>
        {
            await connection.Command(
                    transaction,
                    "INSERT INTO ledger_identity (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING")
                .With("@name", PatientKeyVerifierName)
                .With("@value", verifier)
                .ExecuteNonQueryAsync(cancellationToken);
            var held = await connection.Command(transaction, "SELECT value FROM ledger_identity WHERE name = @name")
                .With("@name", PatientKeyVerifierName)
                .ExecuteScalarAsync(cancellationToken);
            return (string)held!;
        }, cancellationToken);

    // Reads nothing of the ledger, so it need not wait for anything to be durable.
    public Task PingAsync(CancellationToken cancellationToken) =>
        InReadAsync(connection => connection.Command(null, "SELECT 1").ExecuteScalarAsync(cancellationToken), cancellationToken, durable: false);

    public async Task<DecideResult> DecideAsync(DecideRequest request, Func<PatientHistory, DecisionRecord> decide, CancellationToken cancellationToken)
    {
        // Decide speculatively, outside the patient's (serialised) transaction, on the history cached
        // at some revision. Inside, that decision is kept only if the ledger's revision is still the
        // same, i.e. nothing was written for the patient since: then the history it saw is exactly
        // the one the transaction would read. Otherwise (or when deciding threw) it is decided again
        // inside, as without the cache. This keeps evaluation off the single SQLite writer.
        var speculative = await DecideOnCachedAsync(request.PatientKey, decide, cancellationToken);
        var readAhead = false;
        if (speculative is null && _insertUnchangedDecisionSql is not null)
        {
            // Not cached, on a store where the write can be one command: read ahead (one round trip,
            // no lock held) what the transaction would read, and decide on it the same way.
            var ahead = await ReadAheadAsync(request, cancellationToken);
            if (ahead.Existing is { } existing)
            {
                return Replay(existing, request);
            }

            speculative = DecideOn(ahead.Revision, ahead.History!, decide);
            readAhead = speculative is not null;
        }

        if (_insertUnchangedDecisionSql is not null && speculative is { Decision.Reservation: null } unchanged &&
            await WriteUnchangedDecisionAsync(request, unchanged.Revision, unchanged.Decision, cancellationToken))
        {
            _metrics.DecisionWritten(singleCommand: true);

            // It changed nothing the history holds: a cached history stays valid as it is; one read
            // ahead was the history at that revision (the write found the revision unchanged).
            if (readAhead)
            {
                await cache.SetAsync(request.PatientKey, unchanged.Revision, unchanged.History, cancellationToken);
            }

            return new DecideResult(unchanged.Decision, Replayed: false);
        }

        var (result, revision, history) = await InWriteTransactionAsync(request.PatientKey, async (connection, transaction) =>
        {
            var (existing, revision) = await LockAndFindDecisionByRequestAsync(connection, transaction, request, cancellationToken);
            if (existing is not null)
            {
                return (Replay(existing, request), 0L, (PatientHistory?)null);
            }

            // The cache is read once, before the transaction: no cache round trip while the patient is locked.
            PatientHistory? cached;
            PatientHistory history;
            DecisionRecord decision;
            if (speculative is { } early && early.Revision == revision)
            {
                // A history read ahead is not in the cache yet: it is written back after the commit.
                (cached, history, decision) = (readAhead ? null : early.History, early.History, early.Decision);
            }
            else
            {
                cached = null;
                history = await ReadHistoryAsync(connection, transaction, request.PatientKey, cancellationToken);
                decision = decide(history);
            }

            if (decision.Reservation is { } reservation)
            {
                revision = await BumpRevisionAsync(connection, transaction, request.PatientKey, cancellationToken);
                history = history with { Reservations = [.. history.Reservations, reservation] };
                cached = null;
            }

            // The audit chain's lock is taken last, with the insert: it is held until the commit.
            await InsertDecisionAsync(connection, transaction, decision, cancellationToken);

            // A hit that the decision did not change needs no write back.
            return (new DecideResult(decision, Replayed: false), revision, cached is null ? history : null);
        }, cancellationToken, lockInFirstCommand: true);

        if (!result.Replayed)
        {
            _metrics.DecisionWritten(singleCommand: false);
        }

        // Only after the commit: the next check reuses this history without reading the ledger.
        if (history is not null)
        {
            await cache.SetAsync(request.PatientKey, revision, history, cancellationToken);
        }

        return result;
    }

    private async Task<(long Revision, PatientHistory History, DecisionRecord Decision)?> DecideOnCachedAsync(
        PatientKey patientKey, Func<PatientHistory, DecisionRecord> decide, CancellationToken cancellationToken) =>
        await cache.GetLatestAsync(patientKey, cancellationToken) is { } latest ? DecideOn(latest.Revision, latest.History, decide) : null;

    private static (long Revision, PatientHistory History, DecisionRecord Decision)? DecideOn(
        long revision, PatientHistory history, Func<PatientHistory, DecisionRecord> decide)
    {
        try
        {
            return (revision, history, decide(history));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Decided again inside the transaction, after the replay check, where it counts.
            return null;
        }
    }

    public Task<DecisionRecord?> GetDecisionAsync(string decisionId, CancellationToken cancellationToken) =>
        InReadAsync(connection => FindDecisionAsync(connection, null, decisionId, cancellationToken), cancellationToken);

    public Task<PatientHistory> LoadHistoryAsync(PatientKey patientKey, CancellationToken cancellationToken) =>
        InReadAsync(async connection =>
        {
            // One snapshot for the four queries, so a confirmation between them cannot drop a record.
            await using var transaction = await dialect.BeginSnapshotAsync(connection, cancellationToken);
            return await ReadHistoryAsync(connection, transaction, patientKey, cancellationToken);
        }, cancellationToken);

    /// <summary>A write that changes a patient's history: bumps the revision and drops the cached history after the commit.</summary>
    private async Task<T> InHistoryWriteAsync<T>(
        PatientKey patientKey,
        Func<DbConnection, DbTransaction, Task<(T Result, bool Changed)>> work,
        CancellationToken cancellationToken)
    {
        var (result, changed) = await InWriteTransactionAsync(patientKey, async (connection, transaction) =>
        {
            var outcome = await work(connection, transaction);
            if (outcome.Changed)
            {
                await BumpRevisionAsync(connection, transaction, patientKey, cancellationToken);
            }

            return outcome;
        }, cancellationToken);
        if (changed)
        {
            await cache.InvalidateAsync(patientKey, cancellationToken);
        }

        return result;
    }

    private static async Task<long> BumpRevisionAsync(DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken)
    {
        var value = await connection.Command(
                transaction,
                "INSERT INTO patient_revisions (patient_key, revision) VALUES (@patient_key, 1) " +
                "ON CONFLICT (patient_key) DO UPDATE SET revision = patient_revisions.revision + 1 RETURNING revision")
            .With("@patient_key", patientKey.Value)
            .ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<T> InWriteTransactionAsync<T>(
        PatientKey patientKey,
        Func<DbConnection, DbTransaction, Task<T>> work,
        CancellationToken cancellationToken,
        bool lockInFirstCommand = false)
    {
        try
        {
            return await dialect.WriteAsync(patientKey, work, cancellationToken, lockInFirstCommand);
        }
        catch (DbException ex) when (dialect.IsDuplicateKey(ex))
        {
            // Two first writes of one id raced; the loser reports what a repeat would.
            throw GuardException.AlreadyExists("RECORD_ID_CONFLICT", "a record with this id was written concurrently");
        }
        catch (DbException ex) when (dialect.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    private Task<T> InReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken, bool durable = true) =>
        OnConnectionAsync(work, durable, cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a connection of its own, outside any write transaction.</summary>
    private async Task<T> OnConnectionAsync<T>(Func<DbConnection, Task<T>> work, bool waitDurable, CancellationToken cancellationToken)
    {
        try
        {
            T result;
            await using (var connection = await dialect.OpenAsync(cancellationToken))
            {
                result = await work(connection);
            }

            if (waitDurable)
            {
                await dialect.WaitDurableAsync(cancellationToken);
            }

            return result;
        }
        catch (DbException ex) when (dialect.IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is TimeoutException or System.Net.Sockets.SocketException or IOException ||
        (ex is InvalidOperationException && ex.InnerException is DbException or System.Net.Sockets.SocketException);

    private GuardException Unavailable(Exception ex) =>
        GuardException.Unavailable("LEDGER_UNAVAILABLE", $"the {dialect.Name} ledger could not be reached: {ex.Message}", ex);
}
