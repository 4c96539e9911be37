using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// `PrescribeGuard.Server verify-audit [--Audit:Anchors=FILE] [--Setting=value ...]` walks the audit
/// chain of the configured ledger and prints the first broken link; exit code 0 when intact, 1 when
/// broken, 2 when the ledger or the anchors cannot be read. Reads the same configuration as the server.
/// Intact, it prints each chain's head as an <c>anchor</c> line: kept outside the database, those
/// lines given back as the anchors file let the next run catch a chain cut back or rewritten.
/// </summary>
public static class AuditCommand
{
    public const string Verb = "verify-audit";

    /// <summary>The setting naming a file with the anchor lines of an earlier run (its whole output will do: other lines are skipped).</summary>
    public const string AnchorsSetting = "Audit:Anchors";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.Configure<GuardOptions>(builder.Configuration.GetSection(GuardOptions.Section));
        builder.Services.AddSingleton<IHistoryCache, NoHistoryCache>();
        builder.Services.AddGuardLedger(builder.Configuration);
        using var host = builder.Build();
        var ledger = host.Services.GetRequiredService<IGuardLedger>();
        if (await ReadAnchorsAsync(builder.Configuration[AnchorsSetting], output) is not { } anchors)
        {
            return 2;
        }

        try
        {
            var verification = await ledger.VerifyAuditAsync(anchors, CancellationToken.None);
            if (verification.FirstBreak is { } broken)
            {
                await output.WriteLineAsync(
                    $"audit chain BROKEN at link {broken.Sequence} ({broken.Kind} {broken.RecordId}) of chain {broken.Chain}: {broken.Reason}; " +
                    $"{verification.LinksVerified} link(s) before it verified");
                return 1;
            }

            await output.WriteLineAsync($"audit chain intact: {verification.LinksVerified} link(s) verified, {anchors.Count} anchor(s) held");
            foreach (var head in verification.Heads)
            {
                await output.WriteLineAsync(head.ToString());
            }

            return 0;
        }
        catch (Domain.Errors.GuardException ex)
        {
            await output.WriteLineAsync($"cannot read the ledger: {ex.Message}");
            return 2;
        }
    }

    private static async Task<IReadOnlyCollection<AuditAnchor>?> ReadAnchorsAsync(string? path, TextWriter output)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }

        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await output.WriteLineAsync($"cannot read the anchors: {ex.Message}");
            return null;
        }

        var anchors = new List<AuditAnchor>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (!line.StartsWith("anchor ", StringComparison.Ordinal))
            {
                continue;
            }

            if (!AuditAnchor.TryParse(line, out var anchor))
            {
                await output.WriteLineAsync($"cannot read the anchors: line {i + 1} of {path} is not 'anchor CHAIN SEQUENCE HASH'");
                return null;
            }

            anchors.Add(anchor);
        }

        // Anchors asked for and none found (an empty file, the output of a run that found a break,
        // or `> FILE` emptying the file it reads): checking nothing must not pass as a check.
        if (anchors.Count == 0)
        {
            await output.WriteLineAsync($"cannot read the anchors: {path} holds no anchor line (only an intact run prints them)");
            return null;
        }

        return anchors;
    }
}
