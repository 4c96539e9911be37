using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Identity;
using PrescribeGuard.Server.Mapping;
using PrescribeGuard.Server.Policy;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// Runs before the server accepts calls: loads the policy, the patients' time zones and the
/// patient-key secret, migrates the ledger and makes sure its patients were keyed with that secret.
/// Any failing stops start-up with the reason, rather than serving without rules, calendars or
/// storage, or answering every check as if its patient had no history.
/// </summary>
public sealed class GuardStartup(
    IGuardLedger ledger,
    PolicyProvider policies,
    PatientKeyDeriver keys,
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
        if (await ledger.ClaimPatientKeyVerifierAsync(keys.Verifier, cancellationToken) != keys.Verifier)
        {
            throw new InvalidOperationException(
                "the patient-key secret is not the one this ledger's patients were keyed with: configure that secret " +
                "(Guard:PatientKeySecret, or the data folder's " + PatientKeySecret.FileName + "); with another one no patient's history would be found. " +
                "A ledger keyed by a guard that folded names differently (before name folding v" + NameNormalizer.Version + ") cannot be re-keyed, " +
                "since names are never stored: run that guard's version against it, or start a new ledger");
        }
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
