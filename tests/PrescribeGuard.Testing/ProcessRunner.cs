using System.Diagnostics;
using System.Text;

namespace PrescribeGuard.Testing;

/// <summary>The exit code and the captured output of a finished command.</summary>
internal sealed record ProcessResult(string CommandLine, int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"`{CommandLine}` exited with code {ExitCode}.{Environment.NewLine}{Output}";
}

/// <summary>Runs short-lived commands with captured output and a bounded wait.</summary>
internal static class ProcessRunner
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null)
    {
        var commandLine = Describe(fileName, arguments);
        var startInfo = CreateStartInfo(fileName, arguments, workingDirectory);
        using var process = StartOrThrow(startInfo, commandLine);

        // Read both streams concurrently so neither pipe can fill up and block the child.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            var partial = await DrainAsync(stdout, stderr).ConfigureAwait(false);
            throw new TimeoutException(
                $"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s and was killed.{Environment.NewLine}{partial}");
        }

        var output = await DrainAsync(stdout, stderr).ConfigureAwait(false);
        return new ProcessResult(commandLine, process.ExitCode, output);
    }

    public static ProcessStartInfo CreateStartInfo(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    public static Process StartOrThrow(ProcessStartInfo startInfo, string commandLine)
    {
        try
        {
            return Process.Start(startInfo)
                ?? throw new InvalidOperationException($"`{commandLine}` did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"`{commandLine}` could not be started: {exception.Message}", exception);
        }
    }

    public static string Describe(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(fileName).Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(char.IsWhiteSpace) && !argument.Contains('\'')
            ? argument
            : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    // A grandchild that inherited the pipes could keep them open: never wait for that forever.
    private static async Task<string> DrainAsync(Task<string> stdout, Task<string> stderr)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var builder = new StringBuilder();
        Append(builder, "stdout", stdout);
        Append(builder, "stderr", stderr);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string name, Task<string> stream)
    {
        var text = stream.IsCompletedSuccessfully ? stream.Result : "(not read: the stream stayed open)";
        builder.Append("--- ").Append(name).Append(" ---").AppendLine().Append(text.TrimEnd()).AppendLine();
    }
}
