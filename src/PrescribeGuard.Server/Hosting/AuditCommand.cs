using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// `PrescribeGuard.Server verify-audit [--Setting=value ...]` walks the audit chain of the configured
/// ledger and prints the first broken link; exit code 0 when intact, 1 when broken, 2 when the
/// ledger cannot be read. Reads the same configuration as the server.
/// </summary>
public static class AuditCommand
{
    public const string Verb = "verify-audit";

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
        try
        {
            var verification = await ledger.VerifyAuditAsync(CancellationToken.None);
            if (verification.FirstBreak is { } broken)
            {
                await output.WriteLineAsync(
                    $"audit chain BROKEN at link {broken.Sequence} ({broken.Kind} {broken.RecordId}) of chain {broken.Chain}: {broken.Reason}; " +
                    $"{verification.LinksVerified} link(s) before it verified");
                return 1;
            }

            await output.WriteLineAsync($"audit chain intact: {verification.LinksVerified} link(s) verified");
            return 0;
        }
        catch (Domain.Errors.GuardException ex)
        {
            await output.WriteLineAsync($"cannot read the ledger: {ex.Message}");
            return 2;
        }
    }
}
