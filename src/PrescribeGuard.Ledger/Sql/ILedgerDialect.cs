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
    Task<T> WriteAsync<T>(PatientKey patientKey, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

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

    /// <summary>
    /// A statement that takes the chain's lock until the transaction ends, with the key it expects as
    /// the parameter <c>@audit_chain_lock</c>; null where writes are serial anyway. It is sent in the
    /// same round trip as, and just before, the statement that reads the chain's head.
    /// </summary>
    (string Sql, long Key)? LockAuditChain(int chain);

    bool IsDuplicateKey(DbException exception);

    /// <summary>The store cannot be reached or cannot serve now (retry later), as opposed to a defect.</summary>
    bool IsUnavailable(DbException exception);
}
