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

    /// <summary>Waits for the right to write, where the store allows only one writer at a time.</summary>
    ValueTask<IAsyncDisposable> EnterWriterAsync(CancellationToken cancellationToken);

    /// <summary>Serialises this transaction against every other one for the same patient.</summary>
    Task LockPatientAsync(DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken);

    /// <summary>Serialises appends to the audit chain, which is one chain per ledger.</summary>
    Task LockAuditChainAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    bool IsDuplicateKey(DbException exception);

    /// <summary>The store cannot be reached or cannot serve now (retry later), as opposed to a defect.</summary>
    bool IsUnavailable(DbException exception);
}
