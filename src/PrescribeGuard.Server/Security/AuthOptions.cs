namespace PrescribeGuard.Server.Security;

/// <summary>Settings under the "Auth" section: who may call, and how they prove it.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// Development only: trust the x-platform-id header as the caller's identity with the platform
    /// role. Never enable where the port is reachable by anyone but the developer.
    /// </summary>
    public bool TrustPlatformHeader { get; set; }

    /// <summary>Static API keys, each stored only as the SHA-256 (hex) of the key.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    public JwtOptions Jwt { get; set; } = new();

    public bool HasCredentials => ApiKeys.Count > 0 || Jwt.IsConfigured;
}

public sealed class ApiKeyOptions
{
    public string PlatformId { get; set; } = string.Empty;

    /// <summary>Lower- or upper-case hex SHA-256 of the key; the key itself is never configured.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>
    /// Empty means the platform role. Not pre-filled: configuration binding appends to a list, so a
    /// default entry would leak into every key's roles.
    /// </summary>
    public List<string> Roles { get; set; } = [];

    public IReadOnlyList<string> EffectiveRoles => Roles.Count == 0 ? [GuardRoles.Platform] : Roles;
}

public sealed class JwtOptions
{
    public string Issuer { get; set; } = string.Empty;

    public string Audience { get; set; } = string.Empty;

    /// <summary>Base64 HMAC-SHA256 signing keys (several while rotating).</summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>A JSON Web Key Set file with the issuer's public keys.</summary>
    public string JwksFile { get; set; } = string.Empty;

    /// <summary>The claim naming the calling platform.</summary>
    public string PlatformClaim { get; set; } = "platform_id";

    public string RoleClaim { get; set; } = "roles";

    public bool IsConfigured => Issuer.Length > 0 && Audience.Length > 0 && (SigningKeys.Count > 0 || JwksFile.Length > 0);
}
