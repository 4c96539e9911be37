using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using PrescribeGuard.Domain.Identifiers;

namespace PrescribeGuard.Server.Security;

/// <summary>
/// Who may call: bearer JWTs (issuer, audience and keys from configuration or a JWKS file) and
/// static API keys, chosen per request by the credential presented; the x-platform-id header only
/// when a developer explicitly trusts it.
/// </summary>
public static class SecurityRegistration
{
    private const string SelectorScheme = "Guard";

    public static IServiceCollection AddGuardSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AuthOptions.Section);
        var auth = section.Get<AuthOptions>() ?? new AuthOptions();
        if (!auth.HasCredentials && !auth.TrustPlatformHeader)
        {
            throw new InvalidOperationException(
                "no credentials are configured: set Auth:ApiKeys (SHA-256 of each platform's key) or Auth:Jwt, " +
                "or, for local development only, Auth:TrustPlatformHeader=true");
        }

        ValidateApiKeys(auth);
        services.Configure<AuthOptions>(section);
        services.AddSingleton<ApiKeyStore>();
        var authentication = services
            .AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, SelectorScheme, options => options.ForwardDefaultSelector = context => SchemeFor(context, auth))
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, PlatformHeaderAuthenticationHandler>(PlatformHeaderAuthenticationHandler.SchemeName, null);
        if (auth.Jwt.IsConfigured)
        {
            authentication.AddJwtBearer(options => ConfigureJwt(options, auth.Jwt));
        }

        services.AddAuthorization();
        return services;
    }

    private static string SchemeFor(HttpContext context, AuthOptions auth)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (auth.Jwt.IsConfigured && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }

        if (ApiKeyAuthenticationHandler.PresentedKey(context.Request) is not null || !auth.TrustPlatformHeader)
        {
            return ApiKeyAuthenticationHandler.SchemeName;
        }

        return PlatformHeaderAuthenticationHandler.SchemeName;
    }

    private static void ValidateApiKeys(AuthOptions auth)
    {
        foreach (var key in auth.ApiKeys)
        {
            if (!PlatformId.IsWellFormed(key.PlatformId) || key.Sha256.Length != 64 || !key.Sha256.All(Uri.IsHexDigit))
            {
                // A malformed id would authenticate its key and then be refused on every call.
                throw new InvalidOperationException(
                    $"each Auth:ApiKeys entry needs a PlatformId of {PlatformId.Rule} and the 64-hex-digit Sha256 of its key");
            }
        }
    }

    private static void ConfigureJwt(JwtBearerOptions options, JwtOptions jwt)
    {
        var keys = jwt.SigningKeys.Select(key => (SecurityKey)new SymmetricSecurityKey(Convert.FromBase64String(key))).ToList();
        if (jwt.JwksFile.Length > 0)
        {
            keys.AddRange(new JsonWebKeySet(File.ReadAllText(jwt.JwksFile)).GetSigningKeys());
        }

        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudience = jwt.Audience,
            IssuerSigningKeys = keys,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            RoleClaimType = jwt.RoleClaim,
            NameClaimType = jwt.PlatformClaim,
        };
        options.Events = new JwtBearerEvents
        {
            // The rest of the guard reads the platform from one claim name, whatever the issuer calls it.
            OnTokenValidated = context =>
            {
                if (context.Principal?.Identity is ClaimsIdentity identity && jwt.PlatformClaim != GuardRoles.PlatformClaim)
                {
                    // Only the configured claim names the platform, whatever else the token carries.
                    foreach (var stray in identity.FindAll(GuardRoles.PlatformClaim).ToArray())
                    {
                        identity.RemoveClaim(stray);
                    }

                    if (identity.FindFirst(jwt.PlatformClaim) is { } platform)
                    {
                        identity.AddClaim(new Claim(GuardRoles.PlatformClaim, platform.Value));
                    }
                }

                return Task.CompletedTask;
            },
        };
    }
}
