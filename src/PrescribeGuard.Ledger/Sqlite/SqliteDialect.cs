using System.Data.Common;
using Microsoft.Data.Sqlite;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.Ledger.Sqlite;

/// <summary>
/// The embedded ledger: one SQLite file in WAL mode. SQLite has a single writer per file, so every
/// write goes through one in-process writer (<see cref="SqliteGroupCommitWriter"/>) that commits the
/// writes queued together in one transaction; <see cref="SqliteWalSyncer"/> fsyncs the WAL before
/// any of them is answered, so an answered write survives a power loss. Reads use pooled connections
/// (WAL readers do not wait for the writer) and wait for an fsync of what they read.
/// </summary>
public sealed class SqliteDialect : ILedgerDialect, IDisposable, IAsyncDisposable
{
    private const string ConnectionPragmas = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;";

    // The writer reads index pages on every unit (look-ups, inserts) and histories on cache misses.
    // SQLite's default 2 MiB cache made most of them a pread from the OS page cache; the writer is
    // normally the only connection that changes the file, so its cache stays valid between
    // transactions (SQLite drops it when another process wrote). Not larger: a b-tree split that
    // puts its new pages in file order swaps two of them through a spare page number (the one
    // after the 1 GiB lock byte), far past the file's end; the next commit then walks the whole
    // cache to drop pages past the end (pcache1TruncateUnsafe), ≈1 ms at 64 MiB, some 25 times a
    // second under load, on the writer. 16 MiB: a third of that time; p50 at 1M patients unchanged.
    private const string WriterPragmas = "PRAGMA cache_size=-16384;";

    private readonly string _connectionString;
    private readonly string _writerConnectionString;
    private readonly SqliteGroupCommitWriter _writer;
    private readonly SqliteWalSyncer _syncer;
    private readonly SqliteCheckpointer _checkpointer;

    // Pooled connections keep their sqlite3 handle: the per-connection PRAGMAs run once per handle.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _configured = [];
    private int _walEnabled;
    private int _disposed;

    /// <param name="databasePath">The SQLite file.</param>
    /// <param name="metrics">Where group commits and WAL fsyncs are counted (the ledger's own, to share them).</param>
    public SqliteDialect(string databasePath, LedgerMetrics? metrics = null)
        : this(databasePath, SqliteCheckpointer.DefaultRestartFrames, SqliteCheckpointer.DefaultInterval, metrics)
    {
    }

    /// <param name="databasePath">The SQLite file.</param>
    /// <param name="walRestartFrames">WAL length (frames) at which the writer catches the checkpoint up.</param>
    /// <param name="checkpointInterval">Between background checkpoints (tests shorten both).</param>
    /// <param name="metrics">Where group commits and WAL fsyncs are counted.</param>
    internal SqliteDialect(string databasePath, long walRestartFrames, TimeSpan checkpointInterval, LedgerMetrics? metrics = null)
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
        _writerConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        // BEGIN IMMEDIATE already excludes every other writer of the file.
        Migrations = LedgerSchema.Migrations("INTEGER", "REAL", "BLOB", lockAuditChain: string.Empty, lockReports: string.Empty);
        metrics ??= new LedgerMetrics();
        _syncer = new SqliteWalSyncer(metrics);
        _checkpointer = new SqliteCheckpointer(_writerConnectionString, walRestartFrames, checkpointInterval, metrics, _syncer);
        _writer = new SqliteGroupCommitWriter(OpenWriter, _checkpointer.AfterBatch, _syncer, metrics);
    }

    public string DatabasePath { get; }

    /// <summary>Writes waiting for the writer (tests).</summary>
    internal int QueuedWrites => _writer.QueuedUnits;

    public string Name => "sqlite";

    public IReadOnlyList<string> Migrations { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        _syncer.ThrowIfBroken();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (Interlocked.Exchange(ref _walEnabled, 1) == 0)
            {
                await connection.Command(null, "PRAGMA journal_mode=WAL;").ExecuteNonQueryAsync(cancellationToken);
            }

            // synchronous is per connection, and pooled connections may be new ones.
            if (!_configured.TryGetValue(connection.Handle!, out _))
            {
                await using var pragmas = connection.Command(null, ConnectionPragmas);
                await pragmas.ExecuteNonQueryAsync(cancellationToken);
                SqliteWalOnClose.Keep(connection);
                _configured.AddOrUpdate(connection.Handle!, this);
            }

            // Before the writer has a connection, reads sync the WAL this one found.
            if (!_syncer.HasWalFile && SqliteWalFile.Of(connection) is { } wal)
            {
                _syncer.UseIfNone(wal);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Queues the write for the single writer, which runs it (in order, after the writes queued
    /// before it) inside a group-committed transaction; completes after that transaction committed.
    /// </summary>
    public Task<T> WriteAsync<T>(
        PatientKey patientKey, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, bool lockInFirstCommand = false) =>
        _writer.WriteAsync(work, cancellationToken);

    // The single writer runs one write at a time: no lock to take.
    public string? PatientLockSql => null;

    public long PatientLockKey(PatientKey patientKey) => 0;

    /// <summary>Writes are answered only once synced; a read asks for an fsync of what it may have seen.</summary>
    public ValueTask WaitDurableAsync(CancellationToken cancellationToken) => _syncer.WaitDurableAsync(cancellationToken);

    /// <summary>The WAL file reads sync; tests check it is the real one.</summary>
    internal string? SyncedWalPath => _syncer.CurrentWalPath;

    /// <summary>Tests hold the syncer's next fsync back with this.</summary>
    internal Func<Task>? SyncGate
    {
        get => _syncer.Gate;
        set => _syncer.Gate = value;
    }

    /// <summary>Tests make the background's fsync of the database file fail with this.</summary>
    internal Action<SqliteConnection> DatabaseSync
    {
        get => _checkpointer.SyncDatabase;
        set => _checkpointer.SyncDatabase = value;
    }

    // The single writer already orders every append, so one chain costs nothing.
    public int AuditChainOf(PatientKey patientKey) => 0;

    public int AuditChainCount => 1;

    public string? AuditChainLockSql => null;

    // One writer: nothing to lock, and the group-committing writer batches every write already.
    public string? LocksInOrderSql => null;

    public string? LockWaitLimitSql => null;

    public string? ArrayRowsSql(IReadOnlyList<string> arrayParameters) => null;

    public long AuditChainLockKey(int chain) => 0;

    // SQLite has no SHA-256 of its own: the writer connection, the only one that appends links, is
    // given AuditHash.Link itself as a function. The record id (the caller's text) goes as its UTF-8
    // bytes: a text argument reaches a function cut at its first NUL, a blob whole.
    public string AuditLinkHashSql(string sequence, string kind, string recordId, string contentHash, string previousHash) =>
        $"{AuditLinkHashFunction}({sequence}, {kind}, CAST({recordId} AS BLOB), {contentHash}, {previousHash})";

    private const string AuditLinkHashFunction = "audit_link_hash";

    // A deferred transaction reads a WAL snapshot without taking the write lock (BEGIN IMMEDIATE would).
    public ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public Task<(string RecordId, string Reason)?> FirstValueOfAnotherTypeAsync(
        DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<string> keyColumns, CancellationToken cancellationToken) =>
        SqliteStorageClasses.FirstValueOfAnotherTypeAsync(connection, transaction, table, keyColumns, cancellationToken);

    // Measured: two temporary b-trees (a pager and page cache each) created and destroyed per link.
    public bool BuffersInsertFromItself => true;

    public bool RunsCommandsInProcess => true;

    public bool ReadsBesideAnOpenReader => true;

    // Every write goes through the single writer, which already runs a check's statements together.
    public bool CommitsCommandsAtomically => false;

    public string StatementsSeeLatestCommitsSql => "1 = 1";

    public bool IsExpectationFailure(DbException exception) => false;

    public bool IsDuplicateKey(DbException exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: 1555 or 2067 }; // SQLITE_CONSTRAINT_PRIMARYKEY, _UNIQUE

    // BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN: the file cannot serve now.
    public bool IsUnavailable(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 8 or 10 or 11 or 13 or 14 };

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _writer.DisposeAsync();
            await _syncer.DisposeAsync();
            await _checkpointer.DisposeAsync();
        }
    }

    private SqliteWriterConnection OpenWriter()
    {
        var connection = new SqliteWriterConnection(_writerConnectionString);
        try
        {
            connection.Open();
            using var pragmas = connection.CreateCommand();
            // Checkpoints run beside the writer (SqliteCheckpointer), not inside its commits.
            pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; " + ConnectionPragmas + WriterPragmas;
            pragmas.ExecuteNonQuery();
            SqliteWalOnClose.Keep(connection);
            connection.CreateFunction<long, string, byte[], string, string, string>(
                AuditLinkHashFunction,
                (sequence, kind, recordId, contentHash, previousHash) =>
                    AuditHash.Link(sequence, kind, System.Text.Encoding.UTF8.GetString(recordId), contentHash, previousHash),
                isDeterministic: true);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
