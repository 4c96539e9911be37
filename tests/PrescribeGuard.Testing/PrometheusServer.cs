using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PrescribeGuard.Testing;

/// <summary>The answer to one PromQL query: an error, or the number of series (1 for a scalar).</summary>
public sealed record PromQueryResult(string Expression, bool Succeeded, string ResultType, int SeriesCount, string? Error, JsonElement Result)
{
    public override string ToString() => Succeeded ? $"{SeriesCount} series ({ResultType})" : $"error: {Error}";
}

/// <summary>
/// A real <c>prometheus</c> process (Debian's package) on a free loopback port, with its TSDB in a
/// temporary folder, scraping the given targets every second and evaluating the given rule files
/// every second. Use <see cref="QueryAsync"/> for the HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const string Job = "prescribeguard";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly Lock _outputGate = new();
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;
    private readonly Process _process;
    private readonly string _directory;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The scrape job's name; alert rules select <c>up{job="prescribeguard"}</c>.</summary>
    public static string JobName => Job;

    public int Port { get; }

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

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (host:port) every second and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> targets, IEnumerable<string> ruleFiles)
    {
        var executable = ToolLocator.Find("prometheus", "/usr/bin", "/usr/local/bin");
        var directory = Directory.CreateTempSubdirectory("prescribeguard-prometheus-").FullName;
        var configFile = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, Config(targets, ruleFiles)).ConfigureAwait(false);
        var port = FreePort.Next();
        string[] arguments =
        [
            "--config.file=" + configFile,
            "--storage.tsdb.path=" + Path.Combine(directory, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ];
        var process = ProcessRunner.StartOrThrow(ProcessRunner.CreateStartInfo(executable, arguments, directory), ProcessRunner.Describe(executable, arguments));
        var server = new PrometheusServer(process, directory, port);
        try
        {
            await server.WaitUntilReadyAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Evaluates an instant query at the current time.</summary>
    public async Task<PromQueryResult> QueryAsync(string expression)
    {
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", expression)]);
        using var response = await _http.PostAsync(new Uri("api/v1/query", UriKind.Relative), content).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            var error = $"{root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}";
            return new PromQueryResult(expression, false, string.Empty, 0, error, default);
        }

        var data = root.GetProperty("data");
        var type = data.GetProperty("resultType").GetString() ?? string.Empty;
        var result = data.GetProperty("result").Clone();
        var count = type is "vector" or "matrix" ? result.GetArrayLength() : 1;
        return new PromQueryResult(expression, true, type, count, null, result);
    }

    /// <summary>The first sample value of a query that returns one series, or null.</summary>
    public async Task<double?> ValueAsync(string expression)
    {
        var result = await QueryAsync(expression).ConfigureAwait(false);
        if (!result.Succeeded || result.ResultType != "vector" || result.SeriesCount == 0)
        {
            return null;
        }

        var text = result.Result[0].GetProperty("value")[1].GetString();
        return double.Parse(text!, CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the job's targets have been scraped successfully <paramref name="count"/> more times.</summary>
    public async Task WaitForScrapesAsync(int count, TimeSpan timeout)
    {
        const string scrapes = "sum(count_over_time(up{job=\"" + Job + "\"}[1h]))";
        var start = await ValueAsync(scrapes).ConfigureAwait(false) ?? 0;
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var now = await ValueAsync(scrapes).ConfigureAwait(false) ?? 0;
            var up = await ValueAsync("min(up{job=\"" + Job + "\"})").ConfigureAwait(false);
            if (now - start >= count && up == 1)
            {
                return;
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"Prometheus did not scrape {count} times within {timeout.TotalSeconds:0} s (up={up}).{Environment.NewLine}{Output}");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Every loaded rule with its health and last error, from /api/v1/rules.</summary>
    public async Task<IReadOnlyList<(string Name, string Health, string? LastError)>> RulesAsync()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri("api/v1/rules", UriKind.Relative)).ConfigureAwait(false));
        var rules = new List<(string, string, string?)>();
        foreach (var group in document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray())
        {
            foreach (var rule in group.GetProperty("rules").EnumerateArray())
            {
                rules.Add((
                    rule.GetProperty("name").GetString()!,
                    rule.GetProperty("health").GetString()!,
                    rule.TryGetProperty("lastError", out var error) ? error.GetString() : null));
            }
        }

        return rules;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(ExitTimeout).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string Config(IEnumerable<string> targets, IEnumerable<string> ruleFiles)
    {
        var builder = new StringBuilder();
        builder.AppendLine("global:");
        builder.AppendLine("  scrape_interval: 1s");
        builder.AppendLine("  scrape_timeout: 1s");
        builder.AppendLine("  evaluation_interval: 1s");
        builder.AppendLine("rule_files:");
        foreach (var file in ruleFiles)
        {
            builder.Append("  - ").AppendLine(JsonSerializer.Serialize(file));
        }

        builder.AppendLine("scrape_configs:");
        builder.Append("  - job_name: ").AppendLine(Job);
        builder.AppendLine("    static_configs:");
        builder.Append("      - targets: ").AppendLine(JsonSerializer.Serialize(targets.ToArray()));
        return builder.ToString();
    }

    private async Task WaitUntilReadyAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} before it was ready.{Environment.NewLine}{Output}");
            }

            if (stopwatch.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"prometheus was not ready within {StartTimeout.TotalSeconds:0} s.{Environment.NewLine}{Output}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private void Append(string? line)
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
}
