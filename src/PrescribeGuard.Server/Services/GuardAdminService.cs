using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Hosting;
using PrescribeGuard.Server.Policy;
using PrescribeGuard.Server.Security;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Services;

/// <summary>Operators' calls. A reload swaps the policy atomically, or keeps the old one and says why.</summary>
[Authorize(Roles = GuardRoles.Operator)]
public sealed class GuardAdminService(
    PolicyProvider policies,
    IOptions<GuardOptions> options,
    IHostEnvironment environment,
    ILogger<GuardAdminService> logger) : GuardAdmin.GuardAdminBase
{
    public override Task<ReloadPolicyResponse> ReloadPolicy(ReloadPolicyRequest request, ServerCallContext context)
    {
        var path = GuardStartup.ResolvePolicyPath(options.Value.PolicyPath, environment.ContentRootPath);
        var before = policies.Current.Version;
        GuardPolicy policy;
        try
        {
            policy = policies.Load(path);
        }
        catch (PolicyValidationException ex)
        {
            logger.LogWarning("policy reload rejected, keeping {PolicyVersion}: {Errors}", before, string.Join("; ", ex.Errors));
            throw GuardException.Precondition("POLICY_INVALID", "the policy file is invalid; the active policy is unchanged: " + string.Join("; ", ex.Errors));
        }

        logger.LogInformation("policy reloaded: {PolicyName} {PolicyVersion} (was {PreviousVersion})", policy.Name, policy.Version, before);
        return Task.FromResult(new ReloadPolicyResponse
        {
            PolicyName = policy.Name,
            PolicyVersion = policy.Version,
            Changed = policy.Version != before,
        });
    }
}
