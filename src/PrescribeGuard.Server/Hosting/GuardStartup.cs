using Microsoft.Extensions.Options;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Mapping;
using PrescribeGuard.Server.Policy;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// Runs before the server accepts calls: loads the policy and the patients' time zones, and migrates
/// the ledger. Any failing stops start-up with the reason, rather than serving without rules,
/// calendars or storage.
/// </summary>
public sealed class GuardStartup(
    IGuardLedger ledger,
    PolicyProvider policies,
    IOptions<GuardOptions> options,
    IHostEnvironment environment,
    ILogger<GuardStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var path = ResolvePolicyPath(options.Value.PolicyPath, environment.ContentRootPath);
        var policy = policies.Load(path);
        logger.LogInformation("policy {PolicyName} version {PolicyVersion} loaded from {PolicyPath}", policy.Name, policy.Version, path);
        logger.LogInformation("time zones of {JurisdictionCount} jurisdictions loaded", PatientTimeZones.Count);
        await ledger.MigrateAsync(cancellationToken);
        logger.LogInformation("ledger migrated");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string ResolvePolicyPath(string configured, string contentRoot)
    {
        if (Path.IsPathRooted(configured))
        {
            return configured;
        }

        var besideBinary = Path.Combine(AppContext.BaseDirectory, configured);
        return File.Exists(besideBinary) ? besideBinary : Path.Combine(contentRoot, configured);
    }
}
