using System.Text.Json;
using System.Text.RegularExpressions;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>The monitoring files shipped in deploy/, read from the repository the tests were built from.</summary>
public static partial class DeployFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string PrometheusDirectory => Path.Combine(RepositoryRoot, "deploy", "prometheus");

    public static string AlertRules => Path.Combine(PrometheusDirectory, "alerts.yml");

    public static string Dashboard => Path.Combine(RepositoryRoot, "deploy", "grafana", "prescribeguard.json");

    /// <summary>Every PromQL expression of the dashboard's panels (rows included), with its panel title.</summary>
    public static IReadOnlyList<(string Panel, string Expression)> DashboardExpressions()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var found = new List<(string, string)>();
        Collect(document.RootElement.GetProperty("panels"), found);
        return found;
    }

    /// <summary>Every rule of alerts.yml: its name (alert or record), whether it is an alert, and its expression.</summary>
    public static IReadOnlyList<(string Name, bool IsAlert, string Expression)> Rules()
    {
        // A small reader for the file's own layout (- alert:/- record: then expr: inline or as a | block).
        var rules = new List<(string, bool, string)>();
        var lines = File.ReadAllLines(AlertRules);
        for (var i = 0; i < lines.Length; i++)
        {
            var head = RuleHead().Match(lines[i]);
            if (!head.Success)
            {
                continue;
            }

            var j = i + 1;
            while (!lines[j].TrimStart().StartsWith("expr:", StringComparison.Ordinal))
            {
                j++;
            }

            var inline = lines[j].TrimStart()["expr:".Length..].Trim();
            string expression;
            if (inline is "|" or ">")
            {
                var indent = lines[j].Length - lines[j].TrimStart().Length;
                var block = new List<string>();
                for (j++; j < lines.Length && (lines[j].Trim().Length == 0 || lines[j].Length - lines[j].TrimStart().Length > indent); j++)
                {
                    block.Add(lines[j].Trim());
                }

                expression = string.Join(' ', block.Where(line => line.Length > 0));
            }
            else
            {
                expression = inline;
            }

            rules.Add((head.Groups["name"].Value, head.Groups["kind"].Value == "alert", expression));
        }

        return rules;
    }

    private static void Collect(JsonElement panels, List<(string, string)> found)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(nested, found);
            }

            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                if (target.TryGetProperty("expr", out var expr) && expr.GetString() is { Length: > 0 } text)
                {
                    found.Add((panel.GetProperty("title").GetString() ?? string.Empty, text));
                }
            }
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PrescribeGuard.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no PrescribeGuard.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^\s*-\s*(?<kind>alert|record):\s*(?<name>\S+)\s*$")]
    private static partial Regex RuleHead();
}
