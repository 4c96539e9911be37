using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Xunit;

namespace PrescribeGuard.Testing;

/// <summary>
/// A real PostgreSQL server (initdb + pg_ctl) on a free loopback port, with trust authentication,
/// fsync off, and its data in its own temporary folder. Usable as an xunit class or collection
/// fixture; <see cref="StopAsync"/> and <see cref="StartAsync"/> are for fault tests.
/// </summary>
/// <remarks>
/// initdb refuses to run as root, so when the tests run as root every PostgreSQL tool runs as the
/// <c>postgres</c> user through <c>runuser</c>, and the temporary folder belongs to that user.
/// </remarks>
public sealed partial class PostgresServer : IAsyncLifetime
{
    private const string ServiceUser = "postgres";
    private const int MaxPortAttempts = 3;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly bool _runAsServiceUser = !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;
    private string? _root;
    private string? _pgCtl;

    /// <summary>The loopback port the server listens on; it stays the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>The server's data directory (PGDATA).</summary>
    public string DataDirectory => Path.Combine(Root, "data");

    /// <summary>The file the server writes its log to.</summary>
    public string LogFile => Path.Combine(Root, "postgres.log");

    /// <summary>Whether the server was started and not stopped since.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string for the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    private string Root => _root ?? throw new InvalidOperationException("The PostgreSQL server has not been started.");

    private string SocketDirectory => Path.Combine(Root, "socket");

    /// <summary>Starts a server outside xunit's fixture lifecycle; dispose it with <see cref="DisposeAsync"/>.</summary>
    public static Task<PostgresServer> StartNewAsync() => ServerFixture.StartNewAsync<PostgresServer>();

    /// <summary>Creates a cluster, starts it on a free port and waits until it accepts queries.</summary>
    public async Task InitializeAsync()
    {
        if (_root is not null)
        {
            throw new InvalidOperationException("The PostgreSQL server has already been started.");
        }

        var initDb = ToolLocator.FindPostgresTool("initdb");
        _pgCtl = ToolLocator.FindPostgresTool("pg_ctl");
        _root = Directory.CreateTempSubdirectory("prescribeguard-pg-").FullName;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        Directory.CreateDirectory(SocketDirectory);
        if (_runAsServiceUser)
        {
            await RunCheckedAsync(
                ToolLocator.Find("chown", "/usr/bin", "/bin"),
                ["-R", $"{ServiceUser}:{ServiceUser}", Root],
                asServiceUser: false).ConfigureAwait(false);
        }

        await RunCheckedAsync(
            initDb,
            ["-D", DataDirectory, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--locale=C", "--no-sync"],
            asServiceUser: _runAsServiceUser).ConfigureAwait(false);

        // Another process may take the free port before postgres binds it: try a new one then.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            var portTaken = await StartServerAsync(retryIfPortTaken: attempt < MaxPortAttempts).ConfigureAwait(false);
            if (!portTaken)
            {
                return;
            }
        }
    }

    /// <summary>Creates a fresh database and returns a connection string to it.</summary>
    /// <param name="name">A plain identifier: letters, digits and underscores, not starting with a digit.</param>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a plain database name (letters, digits, underscores; at most 63).", nameof(name));
        }

        var connection = new NpgsqlConnection(AdminConnectionString());
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a fresh database with a unique name and returns a connection string to it.</summary>
    public Task<string> CreateDatabaseAsync() =>
        CreateDatabaseAsync("test_" + Guid.NewGuid().ToString("N"));

    /// <summary>Stops the server (<c>pg_ctl stop -m fast</c>): clients are disconnected, data is kept.</summary>
    public async Task StopAsync()
    {
        await RunPgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"]).ConfigureAwait(false);
        IsRunning = false;
    }

    /// <summary>Starts the stopped server again, on the same port and data directory.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The PostgreSQL server is already running.");
        }

        await StartServerAsync(retryIfPortTaken: false).ConfigureAwait(false);
    }

    /// <summary>Stops the server at once (<c>pg_ctl stop -m immediate</c>) and deletes its folder.</summary>
    public async Task DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_root is null)
        {
            return;
        }

        if (_pgCtl is not null && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            var result = await RunAsync(_pgCtl, ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"])
                .ConfigureAwait(false);
            if (!result.Succeeded && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                throw new InvalidOperationException($"Could not stop PostgreSQL. {result}");
            }
        }

        IsRunning = false;
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        _root = null;
    }

    /// <returns><see langword="true"/> when the port was taken and the caller should try another.</returns>
    private async Task<bool> StartServerAsync(bool retryIfPortTaken)
    {
        var logLength = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
        // A test class holds the pools of many guard instances (each with up to 100 connections) open
        // at once, which one deployment would not: room for them beyond the default 100.
        var options = string.Create(
            CultureInfo.InvariantCulture,
            $"-p {Port} -k '{SocketDirectory}' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=400");
        var result = await RunAsync(
            _pgCtl!,
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "30", "-o", options]).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var log = ReadLog(logLength);
            if (retryIfPortTaken && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                return true;
            }

            throw new InvalidOperationException(
                $"PostgreSQL did not start. {result}--- {LogFile} ---{Environment.NewLine}{log}");
        }

        IsRunning = true;
        await WaitUntilReadyAsync(logLength).ConfigureAwait(false);
        return false;
    }

    private async Task WaitUntilReadyAsync(long logLength)
    {
        var stopwatch = Stopwatch.StartNew();
        Exception? last = null;
        while (stopwatch.Elapsed < ReadyTimeout)
        {
            try
            {
                var connection = new NpgsqlConnection(AdminConnectionString());
                await using (connection.ConfigureAwait(false))
                {
                    await connection.OpenAsync().ConfigureAwait(false);
                    var command = new NpgsqlCommand("SELECT 1", connection);
                    await using (command.ConfigureAwait(false))
                    {
                        await command.ExecuteScalarAsync().ConfigureAwait(false);
                    }
                }

                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                last = exception;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        }

        throw new TimeoutException(
            $"PostgreSQL on port {Port} did not answer SELECT 1 within {ReadyTimeout.TotalSeconds:0} s: " +
            $"{last?.Message}{Environment.NewLine}--- {LogFile} ---{Environment.NewLine}{ReadLog(logLength)}",
            last);
    }

    private string AdminConnectionString() =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString;

    private Task<ProcessResult> RunPgCtlAsync(IReadOnlyList<string> arguments) =>
        RunCheckedAsync(_pgCtl ?? throw new InvalidOperationException("The PostgreSQL server has not been started."), arguments, _runAsServiceUser);

    private async Task<ProcessResult> RunCheckedAsync(string tool, IReadOnlyList<string> arguments, bool asServiceUser)
    {
        var result = asServiceUser
            ? await RunAsync(tool, arguments).ConfigureAwait(false)
            : await ProcessRunner.RunAsync(tool, arguments, CommandTimeout, _root).ConfigureAwait(false);
        return result.Succeeded ? result : throw new InvalidOperationException(result.ToString());
    }

    // Runs a PostgreSQL tool, as the postgres user when this process is root.
    private Task<ProcessResult> RunAsync(string tool, IReadOnlyList<string> arguments)
    {
        if (!_runAsServiceUser)
        {
            return ProcessRunner.RunAsync(tool, arguments, CommandTimeout, _root);
        }

        var runUser = ToolLocator.Find("runuser", "/usr/sbin", "/sbin", "/usr/bin", "/bin");
        return ProcessRunner.RunAsync(runUser, ["-u", ServiceUser, "--", tool, .. arguments], CommandTimeout, _root);
    }

    private string ReadLog(long from)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Min(from, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(could not read the log: {exception.Message})";
        }
    }

    // Safety net for a test run that ends without disposing its fixtures: leave no server behind.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (_root is null || _pgCtl is null || !IsRunning)
        {
            return;
        }

        string[] stop = ["stop", "-D", DataDirectory, "-m", "immediate"];
        var startInfo = _runAsServiceUser
            ? ProcessRunner.CreateStartInfo("runuser", ["-u", ServiceUser, "--", _pgCtl, .. stop], _root)
            : ProcessRunner.CreateStartInfo(_pgCtl, stop, _root);
        try
        {
            using var process = Process.Start(startInfo);
            process?.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
