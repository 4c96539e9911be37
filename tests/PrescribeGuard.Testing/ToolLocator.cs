namespace PrescribeGuard.Testing;

/// <summary>Finds executables on PATH and in the places Debian packages put them.</summary>
public static class ToolLocator
{
    private const UnixFileMode AnyExecute =
        UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Finds <paramref name="name"/> on PATH, then in <paramref name="extraDirectories"/>.</summary>
    /// <exception cref="FileNotFoundException">The tool is in none of those places.</exception>
    public static string Find(string name, params IEnumerable<string> extraDirectories) =>
        TryFind(name, extraDirectories) ?? throw new FileNotFoundException(
            $"Could not find '{name}' on PATH or in [{string.Join(", ", extraDirectories)}]. " +
            "Run scripts/test.sh, which installs what the tests need.",
            name);

    /// <summary>Finds <paramref name="name"/> on PATH, then in <paramref name="extraDirectories"/>.</summary>
    public static string? TryFind(string name, params IEnumerable<string> extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var directories = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories);
        return directories
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(IsExecutable);
    }

    /// <summary>
    /// Finds a PostgreSQL server tool (initdb, pg_ctl): PATH first, then
    /// /usr/lib/postgresql/VERSION/bin with the newest version first.
    /// </summary>
    public static string FindPostgresTool(string name) => Find(name, PostgresBinDirectories());

    /// <summary>The /usr/lib/postgresql/VERSION/bin folders, newest version first.</summary>
    public static IReadOnlyList<string> PostgresBinDirectories()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return [];
        }

        return [.. Directory.GetDirectories(root)
            .Select(directory => (Directory: directory, Version: ParseVersion(Path.GetFileName(directory))))
            .OrderByDescending(entry => entry.Version)
            .Select(entry => Path.Combine(entry.Directory, "bin"))
            .Where(Directory.Exists)];
    }

    private static Version ParseVersion(string text) =>
        Version.TryParse(text.Contains('.') ? text : text + ".0", out var version) ? version : new Version(0, 0);

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(file) & AnyExecute) != 0);
}
