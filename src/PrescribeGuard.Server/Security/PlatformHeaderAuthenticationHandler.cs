using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PrescribeGuard.Server.Security;

/// <summary>
/// Development only (Auth:TrustPlatformHeader): the x-platform-id header names the caller, who gets
/// the platform role. Kept so a developer can call the embedded default without issuing keys.
/// </summary>
public sealed class PlatformHeaderAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PlatformHeader";
    public const string Header = "x-platform-id";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var platform = Request.Headers[Header].ToString();
        if (platform.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity(
            [new Claim(GuardRoles.PlatformClaim, platform), new Claim(ClaimTypes.Role, GuardRoles.Platform)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
