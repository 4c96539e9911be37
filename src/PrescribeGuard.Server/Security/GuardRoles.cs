namespace PrescribeGuard.Server.Security;

/// <summary>What a caller may do: a platform checks and records for itself; an auditor reads any decision; an operator reloads policy.</summary>
public static class GuardRoles
{
    public const string Platform = "platform";
    public const string Auditor = "auditor";
    public const string Operator = "operator";

    public const string PlatformClaim = "platform_id";
}
