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
    /// Written into one pooled buffer and hashed in one call: building it as one string made a
    /// decision's payload, its Base64 and their copies some 25 KB of garbage per decision, and feeding
    /// an incremental hash piece by piece cost three calls into the crypto library per field.
    /// </remarks>
    public static string Content(params object?[] fields)
    {
        var content = new ContentBuffer(ArrayPool<byte>.Shared.Rent(1024));
        try
        {
            foreach (var field in fields)
            {
                switch (field)
                {
                    case null:
                        content.AppendField("\u2400");
                        break;
                    case byte[] bytes:
                        content.AppendBase64Field(bytes);
                        break;
                    case IFormattable formattable:
                        content.AppendField(formattable.ToString(null, CultureInfo.InvariantCulture));
                        break;
                    default:
                        content.AppendField(field.ToString() ?? string.Empty);
                        break;
                }
            }

            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(content.Written, digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            content.Return();
        }
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The <c>length:text|</c> fields of <see cref="Content"/>, in a buffer of the shared pool that grows as needed.</summary>
    private struct ContentBuffer(byte[] buffer)
    {
        // The longest prefix: an int's digits and the colon.
        private const int MaxPrefix = 11;

        private byte[] _buffer = buffer;
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        public void AppendField(string text)
        {
            var free = Reserve(MaxPrefix + Encoding.UTF8.GetMaxByteCount(text.Length) + 1);
            var written = WritePrefix(free, text.Length);
            written += Encoding.UTF8.GetBytes(text, free[written..]);
            free[written++] = (byte)'|';
            _length += written;
        }

        // Base64 is ASCII: its UTF-8 is itself, one byte per char.
        public void AppendBase64Field(byte[] bytes)
        {
            var encodedLength = Base64.GetMaxEncodedToUtf8Length(bytes.Length);
            var free = Reserve(MaxPrefix + encodedLength + 1);
            var written = WritePrefix(free, encodedLength);
            Base64.EncodeToUtf8(bytes, free[written..], out _, out var encoded);
            written += encoded;
            free[written++] = (byte)'|';
            _length += written;
        }

        // Cleared: the shared pool would otherwise hand the audited fields (patient key, reply) to any later renter.
        public readonly void Return() => ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);

        private static int WritePrefix(Span<byte> free, int length)
        {
            length.TryFormat(free, out var digits, provider: CultureInfo.InvariantCulture);
            free[digits] = (byte)':';
            return digits + 1;
        }

        private Span<byte> Reserve(int size)
        {
            if (_buffer.Length - _length < size)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_length + size, _buffer.Length * 2));
                Written.CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer, clearArray: true);
                _buffer = larger;
            }

            return _buffer.AsSpan(_length);
        }
    }
}
