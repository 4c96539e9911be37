using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PrescribeGuard.Ledger.Audit;

/// <summary>
/// The hashes of the audit chain. A link's hash covers its sequence number, kind, record id, the
/// hash of the record's audited content and the previous link's hash, so editing, deleting or
/// reordering any audited row breaks every link from it on.
/// </summary>
public static class AuditHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// What the first link of a chain follows. Each chain starts from its own value, so links moved
    /// from one chain to another do not verify; chain 0 keeps the original genesis of the single chain.
    /// </summary>
    public static string GenesisOf(int chain) =>
        chain == 0 ? Genesis : Sha256("prescribeguard/audit-chain/" + chain.ToString(CultureInfo.InvariantCulture));

    public static string Link(long sequence, string kind, string recordId, string contentHash, string previousHash) =>
        Sha256(string.Join('\n', sequence.ToString(CultureInfo.InvariantCulture), kind, recordId, contentHash, previousHash));

    /// <summary>Hash of a record's audited fields, each length-prefixed so no two field lists collide.</summary>
    public static string Content(params object?[] fields)
    {
        var builder = new StringBuilder();
        foreach (var field in fields)
        {
            var text = field switch
            {
                null => "\u2400",
                byte[] bytes => Convert.ToBase64String(bytes),
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => field.ToString() ?? string.Empty,
            };
            builder.Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(text).Append('|');
        }

        return Sha256(builder.ToString());
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
