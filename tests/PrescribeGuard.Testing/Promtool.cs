namespace PrescribeGuard.Testing;

/// <summary>Runs <c>promtool</c> (Debian's prometheus package) and returns its exit code and output.</summary>
public static class Promtool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, params string[] arguments)
    {
        var executable = ToolLocator.Find("promtool", "/usr/bin", "/usr/local/bin");
        var result = await ProcessRunner.RunAsync(executable, arguments, Timeout, workingDirectory).ConfigureAwait(false);
        return (result.ExitCode, result.ToString());
    }
}
