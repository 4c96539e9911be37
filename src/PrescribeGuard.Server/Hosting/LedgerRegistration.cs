using Microsoft.Extensions.Options;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Hosting;

/// <summary>Chooses the ledger's store from configuration.</summary>
public static class LedgerRegistration
{
    public static IServiceCollection AddGuardLedger(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LedgerOptions>(configuration.GetSection(LedgerOptions.Section));
        services.AddSingleton<ILedgerDialect>(provider =>
        {
            var ledger = provider.GetRequiredService<IOptions<LedgerOptions>>().Value;
            var guard = provider.GetRequiredService<IOptions<GuardOptions>>().Value;
            return ledger.Provider.ToLowerInvariant() switch
            {
                "sqlite" => CreateSqlite(guard, ledger),
                _ => throw new InvalidOperationException($"Ledger:Provider '{ledger.Provider}' is not supported (use sqlite)"),
            };
        });
        services.AddSingleton<IGuardLedger>(provider => new SqlGuardLedger(
            provider.GetRequiredService<ILedgerDialect>(), provider.GetRequiredService<IHistoryCache>()));
        return services;
    }

    private static SqliteDialect CreateSqlite(GuardOptions guard, LedgerOptions ledger)
    {
        Directory.CreateDirectory(guard.DataDirectory);
        return new SqliteDialect(Path.Combine(guard.DataDirectory, ledger.SqliteFileName));
    }
}
