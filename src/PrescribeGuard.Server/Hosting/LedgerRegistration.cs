using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// Chooses the ledger's store from configuration: Ledger:Provider when it is set, else postgres
/// when ConnectionStrings:Ledger is set, else the embedded sqlite file.
/// </summary>
public static class LedgerRegistration
{
    public const string ConnectionStringName = "Ledger";

    public static IServiceCollection AddGuardLedger(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LedgerOptions>(configuration.GetSection(LedgerOptions.Section));
        services.AddSingleton(provider => new LedgerMetrics(provider.GetService<IMeterFactory>()));
        services.AddSingleton<ILedgerDialect>(provider =>
        {
            var ledger = provider.GetRequiredService<IOptions<LedgerOptions>>().Value;
            var guard = provider.GetRequiredService<IOptions<GuardOptions>>().Value;
            var connectionString = configuration.GetConnectionString(ConnectionStringName);
            var chosen = ChooseProvider(configuration[$"{LedgerOptions.Section}:{nameof(LedgerOptions.Provider)}"], connectionString);
            return chosen switch
            {
                "sqlite" => CreateSqlite(guard, ledger, provider.GetRequiredService<LedgerMetrics>()),
                "postgres" => CreatePostgres(connectionString),
                _ => throw new InvalidOperationException($"Ledger:Provider '{chosen}' is not supported (use sqlite or postgres)"),
            };
        });
        services.AddSingleton<IGuardLedger>(provider => new SqlGuardLedger(
            provider.GetRequiredService<ILedgerDialect>(),
            provider.GetRequiredService<IHistoryCache>(),
            provider.GetRequiredService<LedgerMetrics>(),
            provider.GetService<TimeProvider>())); // none where the audit command builds the ledger alone: the system clock
        return services;
    }

    /// <summary>True when the ledger is the shared PostgreSQL store.</summary>
    public static bool UsesPostgres(IConfiguration configuration) =>
        ChooseProvider(configuration[$"{LedgerOptions.Section}:{nameof(LedgerOptions.Provider)}"], configuration.GetConnectionString(ConnectionStringName)) == "postgres";

    /// <summary>The explicit provider, lower-cased; without one, postgres if a connection string is given, else sqlite.</summary>
    public static string ChooseProvider(string? configuredProvider, string? connectionString) =>
        !string.IsNullOrWhiteSpace(configuredProvider) ? configuredProvider.Trim().ToLowerInvariant()
        : !string.IsNullOrWhiteSpace(connectionString) ? "postgres"
        : "sqlite";

    private static SqliteDialect CreateSqlite(GuardOptions guard, LedgerOptions ledger, LedgerMetrics metrics)
    {
        Directory.CreateDirectory(guard.DataDirectory);
        return new SqliteDialect(Path.Combine(guard.DataDirectory, ledger.SqliteFileName), metrics);
    }

    private static PostgresDialect CreatePostgres(string? connectionString) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidOperationException(
                "Ledger:Provider is postgres but no connection string is configured: set ConnectionStrings:Ledger " +
                "(environment: ConnectionStrings__Ledger), e.g. Host=db;Port=5432;Database=prescribeguard;Username=guard;Password=...")
            : new PostgresDialect(connectionString);
}
