using System.Buffers.Binary;
using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Sql;

namespace PrescribeGuard.Ledger.Postgres;

/// <summary>
/// The shared ledger: one PostgreSQL database behind any number of guard instances. Checks and
/// writes for one patient are serialised by a transaction-scoped advisory lock on a key derived
/// from the patient key, so instances need no writer gate of their own. Connection failures are
/// bounded by short connect and command timeouts, and a broken connection empties the pool so that
/// the first call after the server returns does not draw a dead connection.
/// </summary>
public sealed class PostgresDialect : ILedgerDialect, IDisposable, IAsyncDisposable
{
    public const int DefaultConnectTimeoutSeconds = 3;
    public const int DefaultCommandTimeoutSeconds = 5;
    public const int DefaultMaxAutoPrepare = 64;

    private static readonly byte[] LockKeyPrefix = "prescribeguard/patient/"u8.ToArray();
    private readonly NpgsqlDataSource _dataSource;
    private readonly StateChangeEventHandler _onStateChange;

    public PostgresDialect(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(WithDefaults(connectionString));
        _onStateChange = OnStateChange;
        Migrations = LedgerSchema.Migrations(
            "BIGINT",
            "DOUBLE PRECISION",
            "BYTEA",
            lockAuditChain: "LOCK TABLE audit_chain IN ACCESS EXCLUSIVE MODE;",
            lockReports: "LOCK TABLE dispenses, encounters IN SHARE MODE;");
    }

    public string Name => "postgres";

    public IReadOnlyList<string> Migrations { get; }

    /// <summary>
    /// The connection string with the guard's defaults for what it does not set itself:
    /// short connect and command timeouts (a ledger that cannot answer should fail fast, not hang a
    /// check); automatic preparation of the ledger's few statements, so PostgreSQL parses and plans
    /// each once per connection instead of on every check; and no session reset when a connection
    /// returns to the pool, since the ledger keeps no session state (its locks end with their
    /// transaction) and the reset would otherwise ride along with the next check's first statement.
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var configured = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!configured.Contains("TIMEOUT"))
        {
            builder.Timeout = DefaultConnectTimeoutSeconds;
        }

        if (!configured.Contains("COMMANDTIMEOUT"))
        {
            builder.CommandTimeout = DefaultCommandTimeoutSeconds;
        }

        if (!configured.Contains("MAXAUTOPREPARE"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }

        if (!configured.Contains("NORESETONCLOSE"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Audit chains on a shared ledger. Each is appended under its own lock held until commit (the
    /// fsync), so with one chain every decision of every instance waited for the one before it;
    /// sixteen let that many commits be in flight (and share PostgreSQL's WAL flushes).
    /// </summary>
    public const int AuditChains = 16;

    private static readonly long[] AuditChainLockKeys =
        [.. Enumerable.Range(0, AuditChains).Select(chain => LockKey(new PatientKey(chain == 0 ? "audit-chain" : $"audit-chain/{chain}")))];

    /// <summary>A stable 64-bit advisory lock key: the first 8 bytes of SHA-256 over a prefix and the patient key.</summary>
    public static long LockKey(PatientKey patientKey)
    {
        var key = Encoding.UTF8.GetBytes(patientKey.Value);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData([.. LockKeyPrefix, .. key], hash);
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The server is unreachable: whatever sits idle in the pool is dead too.
            _dataSource.Clear();
            throw;
        }

        connection.StateChange += _onStateChange;
        return connection;
    }

    /// <summary>One transaction per write, in parallel with others; the patient's advisory lock serialises it.</summary>
    public async Task<T> WriteAsync<T>(
        PatientKey patientKey, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, bool lockInFirstCommand = false)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // READ COMMITTED whatever the server's default: each statement must see what committed before
        // it started, or the audit head read after its chain's lock could be stale.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        if (!lockInFirstCommand)
        {
            await LockPatientAsync(connection, transaction, patientKey, cancellationToken);
        }

        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Serialises this transaction against every other one for the same patient, on every instance.</summary>
    public async Task LockPatientAsync(DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, PatientLockSql)
            .With("@patient_lock", LockKey(patientKey));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // In READ COMMITTED each statement takes a new snapshot, so the statements sent after this one
    // in the same command already see whatever the previous holder of the lock committed.
    public string PatientLockSql => "SELECT pg_advisory_xact_lock(@patient_lock)";

    public long PatientLockKey(PatientKey patientKey) => LockKey(patientKey);

    public int AuditChainOf(PatientKey patientKey) => (int)((ulong)LockKey(patientKey) % AuditChains);

    public int AuditChainCount => AuditChains;

    // Every instance appends to a chain under the same lock, held to commit, so the head that the
    // append reads (a later statement, a later snapshot) is the committed one.
    public string AuditChainLockSql => "SELECT pg_advisory_xact_lock(@audit_chain_lock)";

    public long AuditChainLockKey(int chain) => AuditChainLockKeys[chain];

    // A function scan yields the array's elements in order and the lock is taken for each row as it
    // is produced, so the locks are taken in the array's order.
    public string LocksInOrderSql => "SELECT pg_advisory_xact_lock(lock_key) FROM unnest(@locks) AS lock_key";

    // Local to the transaction (the batch's implicit one); lock_timeout covers advisory locks too.
    public string LockWaitLimitSql => "SELECT set_config('lock_timeout', CAST(@lock_wait_limit_ms AS text), true)";

    // unnest of several arrays zips them.
    public string ArrayRowsSql(IReadOnlyList<string> arrayParameters) => $"unnest({string.Join(", ", arrayParameters)})";

    // sha256 (PostgreSQL 11 and later) of the UTF-8 of the fields joined by newlines, as lower-case hex.
    public string AuditLinkHashSql(string sequence, string kind, string recordId, string contentHash, string previousHash) =>
        $"encode(sha256(convert_to(concat_ws(E'\\n', {sequence}, {kind}, {recordId}, {contentHash}, {previousHash}), 'UTF8')), 'hex')";

    // A commit returns once durable (synchronous_commit=on).
    public ValueTask WaitDurableAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

    // PostgreSQL runs the join form as it is, reading the head once.
    public bool BuffersInsertFromItself => false;

    // Every command is a round trip to the server: a write's statements travel together.
    public bool RunsCommandsInProcess => false;

    // The protocol carries one result set at a time on a connection, and Npgsql has no MARS.
    public bool ReadsBesideAnOpenReader => false;

    // The statements of one command travel before a single Sync; outside BEGIN they form one
    // implicit transaction, committed (with synchronous_commit=on, durably) before the reply.
    public bool CommitsCommandsAtomically => true;

    // Under REPEATABLE READ or SERIALIZABLE (a server or database default) the implicit transaction's
    // snapshot would be taken by its first statement, before the lock was granted.
    public string StatementsSeeLatestCommitsSql => "current_setting('transaction_isolation') = 'read committed'";

    // The ledger's expectations divide by the count of rows that meet them.
    public bool IsExpectationFailure(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.DivisionByZero };

    public bool IsDuplicateKey(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    // A PostgreSQL column holds values of its declared type only.
    public Task<(string RecordId, string Reason)?> FirstValueOfAnotherTypeAsync(
        DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<string> keyColumns, CancellationToken cancellationToken) =>
        Task.FromResult<(string RecordId, string Reason)?>(null);

    // Errors the server reports about a statement (constraint, syntax) are defects, not outages,
    // unless PostgreSQL itself calls them transient (shutdown, too many connections, ...).
    public bool IsUnavailable(DbException exception) =>
        exception is NpgsqlException npgsql && (npgsql.IsTransient || exception is not PostgresException);

    public void Dispose() => _dataSource.Dispose();

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // A connection that breaks (server stopped or restarted, network cut) usually means every idle
    // one in the pool is dead as well; dropping them lets the next call open a fresh connection.
    private void OnStateChange(object? sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Closed && sender is NpgsqlConnection { FullState: ConnectionState.Broken })
        {
            _dataSource.Clear();
        }
    }
}
