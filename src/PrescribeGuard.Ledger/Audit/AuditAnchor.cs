using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PrescribeGuard.Ledger.Audit;

/// <summary>
/// A chain's last link as a verification found it. Kept outside the database (a log, write-once
/// storage), it lets a later verification prove the chain still holds that link: a chain alone
/// cannot show that its last links were deleted with their records, or that it was rewritten from
/// some link on with every hash recomputed.
/// </summary>
public sealed record AuditAnchor(int Chain, long Sequence, string Hash)
{
    private const string Prefix = "anchor";

    /// <summary>One line, <c>anchor CHAIN SEQUENCE HASH</c>, as verify-audit prints it and reads it back.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix} {Chain} {Sequence} {Hash}");

    public static bool TryParse(string line, [NotNullWhen(true)] out AuditAnchor? anchor)
    {
        anchor = null;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not [Prefix, var chain, var sequence, var hash] ||
            !int.TryParse(chain, NumberStyles.None, CultureInfo.InvariantCulture, out var chainNumber) ||
            !long.TryParse(sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var sequenceNumber) ||
            sequenceNumber < 1 || hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        anchor = new AuditAnchor(chainNumber, sequenceNumber, hash);
        return true;
    }
}
