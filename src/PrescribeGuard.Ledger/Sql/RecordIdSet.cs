using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// A set of record ids held as 128 bits of each id's SHA-256, not as the strings: the audit walk keeps
/// one per record of the ledger (millions), at about a quarter of the strings' memory. Two ids share a
/// digest with a probability of about n² / 2¹²⁹, below 10⁻²⁴ for ten million records, so the set
/// answers as one of the strings would.
/// </summary>
internal sealed class RecordIdSet
{
    // Past this many UTF-8 bytes an id is encoded into a rented buffer instead of the stack.
    private const int StackBytes = 512;

    private readonly HashSet<UInt128> _digests = [];

    public int Count => _digests.Count;

    /// <summary>Adds the id; false when it was already in the set.</summary>
    public bool Add(string recordId) => _digests.Add(DigestOf(recordId));

    public bool Contains(string recordId) => _digests.Contains(DigestOf(recordId));

    private static UInt128 DigestOf(string recordId)
    {
        var length = Encoding.UTF8.GetMaxByteCount(recordId.Length);
        var rented = length > StackBytes ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> bytes = rented ?? stackalloc byte[StackBytes];
            var written = Encoding.UTF8.GetBytes(recordId, bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes[..written], hash);
            return BinaryPrimitives.ReadUInt128LittleEndian(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
