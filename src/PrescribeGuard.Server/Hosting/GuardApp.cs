using PrescribeGuard.Server.Interceptors;
using PrescribeGuard.Server.Security;
using PrescribeGuard.Server.Services;

namespace PrescribeGuard.Server.Hosting;

/// <summary>Builds the guard's web application; tests build several of these in one process.</summary>
public static class GuardApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        MutualTls.Configure(builder);
        builder.Services.AddPrescribeGuard(builder.Configuration);

        var app = builder.Build();
        app.UseGuardObservability();
        app.UseMiddleware<UncountedCallMetricsMiddleware>();
        app.UseMiddleware<UnparsableMessageMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapGrpcService<PrescriptionGuardService>().RequireRateLimiting(PlatformRateLimiting.Policy);
        app.MapGrpcService<GuardAdminService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
