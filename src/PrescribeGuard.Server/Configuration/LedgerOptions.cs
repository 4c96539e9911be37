namespace PrescribeGuard.Server.Configuration;

/// <summary>Settings under the "Ledger" section.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>"sqlite" (embedded default) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>SQLite file name inside Guard:DataDirectory.</summary>
    public string SqliteFileName { get; set; } = "prescribeguard.db";
}
