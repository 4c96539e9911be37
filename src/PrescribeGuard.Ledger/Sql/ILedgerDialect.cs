using System.Data.Common;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// What differs between the relational stores: connections, schema text, how checks and writes
/// for one patient are serialised, and how the driver reports a duplicate key. The SQL the ledger
/// runs is otherwise the same for every store.
/// </summary>
public interface ILedgerDialect
{
    string Name { get; }

    /// <summary>Schema migrations in order; migration N brings the schema to version N + 1.</summary>
    IReadOnlyList<string> Migrations { get; }

    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> inside a write transaction serialised against every other write
    /// for the same patient, and completes once that transaction has durably committed (or fails,
    /// with nothing of <paramref name="work"/> committed). Exceptions of the store and of
    /// <paramref name="work"/> are passed on as they were thrown.
    /// </summary>
    /// <param name="lockInFirstCommand">The work's first command starts with <see cref="PatientLockSql"/>,
    /// so the lock travels in that command's round trip and this call takes none of its own.</param>
    Task<T> WriteAsync<T>(
        PatientKey patientKey, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, bool lockInFirstCommand = false);

    /// <summary>
    /// A statement that takes a patient's lock until the transaction ends, the key given as the
    /// parameter <c>@patient_lock</c> (<see cref="PatientLockKey"/>); null where writes are serial
    /// anyway. Only for a work passed to <see cref="WriteAsync"/> with <c>lockInFirstCommand</c>.
    /// </summary>
    string? PatientLockSql { get; }

    long PatientLockKey(PatientKey patientKey);

    /// <summary>
    /// Completes once everything committed before the call is durable. A store whose commits return
    /// only when durable completes at once; one that syncs after committing (SQLite's pipelined
    /// group commit) waits for that sync, so a read never answers with a write a crash could undo.
    /// </summary>
    ValueTask WaitDurableAsync(CancellationToken cancellationToken);

    /// <summary>A read-only transaction that sees one snapshot and never blocks the writer.</summary>
    ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// The audit chain a patient's links are appended to. A store whose writes are already serial
    /// keeps one chain; a store with concurrent writers spreads patients over several, so that
    /// decisions for different patients do not all wait for one chain's lock until their commit.
    /// </summary>
    int AuditChainOf(PatientKey patientKey);

    /// <summary>How many chains <see cref="AuditChainOf"/> spreads patients over: 0 to this, exclusive.</summary>
    int AuditChainCount { get; }

    /// <summary>
    /// A statement that takes a chain's lock until the transaction ends, the key given as the
    /// parameter <c>@audit_chain_lock</c> (<see cref="AuditChainLockKey"/>); null where writes are
    /// serial anyway. It is sent in the same round trip as, and just before, the statements that
    /// write the audited row and append its link (which reads the chain's head as it inserts).
    /// </summary>
    string? AuditChainLockSql { get; }

    long AuditChainLockKey(int chain);

    /// <summary>
    /// A statement that takes, one after another in the order given, the locks whose keys are in the
    /// array parameter <c>@locks</c>, each until the transaction ends; null where writes are serial
    /// anyway. With it, concurrent single-command decisions are written together in one batch (see
    /// <see cref="DecisionBatcher"/>), all their locks taken first in one global order.
    /// </summary>
    string? LocksInOrderSql { get; }

    /// <summary>
    /// A statement after which, until the transaction ends, a statement that waits longer than
    /// <c>@lock_wait_limit_ms</c> milliseconds for any one lock fails instead; null where writes are
    /// serial anyway. A batch uses it so that one patient locked for long sends its decisions alone
    /// rather than holding up the whole batch.
    /// </summary>
    string? LockWaitLimitSql { get; }

    /// <summary>
    /// A FROM item with one row per index of the given array parameters (all of one length), their
    /// elements as its columns in order, so that a batch writes many rows in one statement; null
    /// where the store has no array parameters.
    /// </summary>
    string? ArrayRowsSql(IReadOnlyList<string> arrayParameters);

    /// <summary>
    /// An SQL expression of the store equal to <see cref="Audit.AuditHash.Link"/> over the five given
    /// SQL expressions, so a link is computed where the chain's head is read, in the statement that
    /// appends it (no round trip to read the head first).
    /// </summary>
    string AuditLinkHashSql(string sequence, string kind, string recordId, string contentHash, string previousHash);

    /// <summary>
    /// Whether commands run in this process (an embedded store): sending a write's statements as one
    /// command each then costs no round trip, and spares the driver binding every parameter of the
    /// command to each of its statements (Microsoft.Data.Sqlite looks each one up by name in each).
    /// </summary>
    bool RunsCommandsInProcess { get; }

    /// <summary>
    /// Whether a connection runs other commands while a reader of it is still open (SQLite steps each
    /// statement on its own). With it a long read beside other queries keeps one reader open; without it
    /// (Npgsql: one result set at a time per connection) it goes through a cursor, a fetch at a time.
    /// </summary>
    bool ReadsBesideAnOpenReader { get; }

    /// <summary>
    /// Whether an INSERT … SELECT that reads its own table is run through temporary tables (SQLite
    /// copies the selected rows into one first, so the insert cannot see its own rows, and a LEFT
    /// JOIN on a LIMIT sub-query into another; each opened and destroyed per execution). Such a
    /// store appends an audit link from one row of VALUES instead, reading the chain's head in
    /// scalar sub-queries.
    /// </summary>
    bool BuffersInsertFromItself { get; }

    /// <summary>
    /// Whether a command of several statements, sent outside <see cref="WriteAsync"/> on a connection
    /// of <see cref="OpenAsync"/>, commits as one transaction of its own (all its statements or none,
    /// durable when it returns), so that a write needing no read-back can be one round trip.
    /// </summary>
    bool CommitsCommandsAtomically { get; }

    /// <summary>
    /// An SQL condition that holds only while each statement of such a command sees what committed
    /// before the statement began (READ COMMITTED): only then does a statement after a lock see what
    /// the lock's previous holder wrote. A command outside a transaction runs at the server's default
    /// isolation, which the guard does not control.
    /// </summary>
    string StatementsSeeLatestCommitsSql { get; }

    /// <summary>
    /// The first row of <paramref name="table"/> holding a value of another type than its column
    /// declares, as its <paramref name="keyColumns"/> joined by '/' and what is wrong; null when there
    /// is none, as always on a store whose columns hold their declared type only. The audit asks,
    /// since such a value can read back as the audited one while the rules' SQL no longer matches it.
    /// </summary>
    Task<(string RecordId, string Reason)?> FirstValueOfAnotherTypeAsync(
        DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<string> keyColumns, CancellationToken cancellationToken);

    /// <summary>A statement written to fail when an expectation about the data does not hold (see
    /// <see cref="SqlGuardLedger"/>'s single-command decision) failed.</summary>
    bool IsExpectationFailure(DbException exception);

    bool IsDuplicateKey(DbException exception);

    /// <summary>The store cannot be reached or cannot serve now (retry later), as opposed to a defect.</summary>
    bool IsUnavailable(DbException exception);
}
