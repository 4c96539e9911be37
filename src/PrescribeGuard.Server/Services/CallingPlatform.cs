using Grpc.Core;
using PrescribeGuard.Domain.Identifiers;
using PrescribeGuard.Server.Security;

namespace PrescribeGuard.Server.Services;

/// <summary>
/// Names the platform calling, from its authenticated identity (JWT claim or API key), never from a
/// header it could set itself. Every record id and request id is scoped to it.
/// </summary>
public static class CallingPlatform
{
    public static string From(ServerCallContext context) =>
        Find(context) ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "the caller's credentials name no platform"));

    public static string? Find(ServerCallContext context)
    {
        var platform = context.GetHttpContext().User.FindFirst(GuardRoles.PlatformClaim)?.Value;
        return PlatformId.IsWellFormed(platform) ? platform : null;
    }

    public static bool IsAuditor(ServerCallContext context) => context.GetHttpContext().User.IsInRole(GuardRoles.Auditor);
}
