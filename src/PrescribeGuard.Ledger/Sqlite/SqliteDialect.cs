using System.Data.Common;
using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode with synchronous=FULL, so a committed decision
/// survives a power loss. SQLite has a single writer per file; taking it in-process first keeps
/// concurrent checks queueing on a semaphore instead of spinning on SQLITE_BUSY.
/// </summary>
public sealed class SqliteDialect : ILedgerDialect, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private int _walEnabled;

    public SqliteDialect(string databasePath)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 5,
        }.ToString();
        Migrations = LedgerSchema.Migrations("INTEGER", "REAL", "BLOB");
    }

    public string DatabasePath { get; }

    public string Name => "sqlite";

    public IReadOnlyList<string> Migrations { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (Interlocked.Exchange(ref _walEnabled, 1) == 0)
            {
                await connection.Command(null, "PRAGMA journal_mode=WAL;").ExecuteNonQueryAsync(cancellationToken);
            }

            // synchronous is per connection, and pooled connections may be new ones.
            await connection.Command(null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;").ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IAsyncDisposable> EnterWriterAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        return new WriterRelease(_writer);
    }

    public Task LockPatientAsync(DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    // The single writer already orders every append.
    public Task LockAuditChainAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public bool IsDuplicateKey(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19 }; // SQLITE_CONSTRAINT

    // BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN: the file cannot serve now.
    public bool IsUnavailable(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 8 or 10 or 11 or 13 or 14 };

    public void Dispose() => _writer.Dispose();

    private sealed class WriterRelease(SemaphoreSlim writer) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            writer.Release();
            return ValueTask.CompletedTask;
        }
    }
}
