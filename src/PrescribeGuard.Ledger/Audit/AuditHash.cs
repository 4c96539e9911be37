using System.Buffers;
using System.Buffers.Text;
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
        (uint)chain < (uint)KnownGenesis.Length ? KnownGenesis[chain] : ComputeGenesis(chain);

    // Every append names its chain's genesis (for an empty chain): the usual chains are hashed once.
    private static readonly string[] KnownGenesis = [.. Enumerable.Range(0, 64).Select(ComputeGenesis)];

    private static string ComputeGenesis(int chain) =>
        chain == 0 ? Genesis : Sha256("prescribeguard/audit-chain/" + chain.ToString(CultureInfo.InvariantCulture));

    public static string Link(long sequence, string kind, string recordId, string contentHash, string previousHash) =>
        Sha256(string.Join('\n', sequence.ToString(CultureInfo.InvariantCulture), kind, recordId, contentHash, previousHash));

    /// <summary>
    /// Hash of a record's audited fields, each length-prefixed so no two field lists collide: the
    /// SHA-256 of the UTF-8 of <c>length:text|</c> per field, where text is the field's invariant
    /// text (a byte array's Base64, null as U+2400) and length its count of UTF-16 chars.
    /// </summary>
    /// <remarks>
    /// Fed to the hash piece by piece rather than built as one string: a decision's payload made
    /// that string, its Base64 and their copies some 25 KB of garbage per decision.
    /// </remarks>
    public static string Content(params object?[] fields)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var field in fields)
        {
            switch (field)
            {
                case null:
                    AppendField(hash, "\u2400");
                    break;
                case byte[] bytes:
                    AppendBase64Field(hash, bytes);
                    break;
                case IFormattable formattable:
                    AppendField(hash, formattable.ToString(null, CultureInfo.InvariantCulture));
                    break;
                default:
                    AppendField(hash, field.ToString() ?? string.Empty);
                    break;
            }
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest);
    }

    private static void AppendField(IncrementalHash hash, string text)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, buffer);
            AppendLengthPrefixed(hash, text.Length, buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Base64 is ASCII: its UTF-8 is itself, one byte per char.
    private static void AppendBase64Field(IncrementalHash hash, byte[] bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Base64.GetMaxEncodedToUtf8Length(bytes.Length));
        try
        {
            Base64.EncodeToUtf8(bytes, buffer, out _, out var written);
            AppendLengthPrefixed(hash, written, buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void AppendLengthPrefixed(IncrementalHash hash, int length, ReadOnlySpan<byte> utf8)
    {
        Span<byte> prefix = stackalloc byte[12];
        length.TryFormat(prefix, out var digits, provider: CultureInfo.InvariantCulture);
        prefix[digits] = (byte)':';
        hash.AppendData(prefix[..(digits + 1)]);
        hash.AppendData(utf8);
        hash.AppendData("|"u8);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
