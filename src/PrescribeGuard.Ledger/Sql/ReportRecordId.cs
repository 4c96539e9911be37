using PrescribeGuard.Domain.Identifiers;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// How an audit link names a platform's prescription, dispense or encounter: platform/id, the form the
/// verifier's SQL also builds (platform_id || '/' || id). It stays one record's name only while
/// platform ids hold no '/', so the ledger refuses to write under any other.
/// </summary>
internal static class ReportRecordId
{
    /// <summary>The record id of a report about to be written; a malformed platform id is refused.</summary>
    public static string Of(string platformId, string id) =>
        PlatformId.IsWellFormed(platformId)
            ? Join(platformId, id)
            : throw new ArgumentException($"a platform id is {PlatformId.Rule}", nameof(platformId));

    /// <summary>The record id of a row as read back, whatever it holds (a forged one may hold anything).</summary>
    public static string Join(string platformId, string id) => $"{platformId}/{id}";

    /// <summary>The same record id computed by SQL from a row of a table keyed platform_id and <paramref name="idColumn"/>.</summary>
    public static string Sql(string idColumn) => $"platform_id || '/' || {idColumn}";

    /// <summary>The platform and the platform's own id; the id may hold '/', the platform cannot.</summary>
    public static (string PlatformId, string Id) Split(string recordId)
    {
        var separator = recordId.IndexOf('/', StringComparison.Ordinal);
        return (recordId[..Math.Max(separator, 0)], recordId[(separator + 1)..]);
    }
}
