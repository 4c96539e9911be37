namespace PrescribeGuard.Domain.Identifiers;

/// <summary>
/// DEA registration number: two letters and seven digits; the last digit of
/// (d1 + d3 + d5) + 2 × (d2 + d4 + d6) is the check digit d7.
/// </summary>
public static class DeaNumber
{
    public static bool IsValid(string? dea)
    {
        if (dea is not { Length: 9 } || !char.IsAsciiLetterUpper(dea[0]) || !char.IsAsciiLetterUpper(dea[1]))
        {
            return false;
        }

        var digits = dea[2..];
        if (!digits.All(char.IsAsciiDigit))
        {
            return false;
        }

        int D(int i) => digits[i] - '0';
        var sum = D(0) + D(2) + D(4) + (2 * (D(1) + D(3) + D(5)));
        return sum % 10 == D(6);
    }
}
