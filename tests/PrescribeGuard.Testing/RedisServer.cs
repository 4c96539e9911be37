using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace PrescribeGuard.Testing;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, with no persistence, in its own
/// temporary folder. Usable as an xunit class or collection fixture; <see cref="KillAsync"/> and
/// <see cref="RestartAsync"/> are for fault tests.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);
    private const int MaxPortAttempts = 3;

    private readonly Lock _outputGate = new();
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _directory;

    /// <summary>The loopback port the server listens on; it stays the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis configuration string: <c>127.0.0.1:PORT</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Whether the server process is alive.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the server process has written to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_outputGate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server outside xunit's fixture lifecycle; dispose it with <see cref="DisposeAsync"/>.</summary>
    public static Task<RedisServer> StartNewAsync() => ServerFixture.StartNewAsync<RedisServer>();

    /// <summary>Starts the server on a free port and waits until it answers PING.</summary>
    public async Task InitializeAsync()
    {
        if (_directory is not null)
        {
            throw new InvalidOperationException("The Redis server has already been started.");
        }

        _directory = Directory.CreateTempSubdirectory("prescribeguard-redis-").FullName;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;

        // Another process may take the free port before redis-server binds it: try a new one then.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            var portTaken = await StartProcessAsync(retryIfPortTaken: attempt < MaxPortAttempts).ConfigureAwait(false);
            if (!portTaken)
            {
                return;
            }
        }
    }

    /// <summary>Kills the server with SIGKILL (no shutdown, no save) and waits for it to exit.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("The Redis server has not been started.");
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(ExitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"redis-server (pid {process.Id}) did not exit within {ExitTimeout.TotalSeconds:0} s of SIGKILL.");
        }
    }

    /// <summary>
    /// Starts a new server process on the same port (killing the current one first if it still runs)
    /// and waits until it answers PING. The data is gone: the server keeps nothing on disk.
    /// </summary>
    public async Task RestartAsync()
    {
        if (_process is null)
        {
            throw new InvalidOperationException("The Redis server has not been started.");
        }

        await KillAsync().ConfigureAwait(false);
        await StartProcessAsync(retryIfPortTaken: false).ConfigureAwait(false);
    }

    /// <summary>Kills the server and deletes its folder.</summary>
    public async Task DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_process is not null)
        {
            try
            {
                await KillAsync().ConfigureAwait(false);
            }
            finally
            {
                _process.Dispose();
                _process = null;
            }
        }

        if (_directory is not null)
        {
            TryDeleteDirectory(_directory);
        }
    }

    /// <returns><see langword="true"/> when the port was taken and the caller should try another.</returns>
    private async Task<bool> StartProcessAsync(bool retryIfPortTaken)
    {
        var executable = ToolLocator.Find("redis-server", "/usr/bin", "/usr/local/bin");
        string[] arguments =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--dir", _directory!,
        ];
        var commandLine = ProcessRunner.Describe(executable, arguments);

        _process?.Dispose();
        lock (_outputGate)
        {
            _output.Clear();
        }

        var startInfo = ProcessRunner.CreateStartInfo(executable, arguments, _directory);
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => AppendOutput(e.Data);
        process.ErrorDataReceived += (_, e) => AppendOutput(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            process.Dispose();
            throw new InvalidOperationException($"`{commandLine}` could not be started: {exception.Message}", exception);
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (await TryPingAsync().ConfigureAwait(false))
            {
                return false;
            }

            if (process.HasExited)
            {
                // Let the output events catch up before reading the output.
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                if (retryIfPortTaken && Output.Contains("Address already in use", StringComparison.Ordinal))
                {
                    return true;
                }

                throw new InvalidOperationException(
                    $"`{commandLine}` exited with code {process.ExitCode} before answering PING.{Environment.NewLine}{Output}");
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException(
                    $"`{commandLine}` did not answer PING within {StartTimeout.TotalSeconds:0} s.{Environment.NewLine}{Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25)).ConfigureAwait(false);
        }
    }

    private async Task<bool> TryPingAsync()
    {
        try
        {
            using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(IPAddress.Loopback, Port, cancellation.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray(), cancellation.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cancellation.Token).ConfigureAwait(false);
            return buffer.AsSpan(0, read).StartsWith("+PONG"u8);
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private void AppendOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputGate)
        {
            _output.AppendLine(line);
        }
    }

    // Safety net for a test run that ends without disposing its fixtures: leave no server behind.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }
}
