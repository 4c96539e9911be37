using System.Globalization;
using System.Text;

namespace PrescribeGuard.Domain.Identity;

/// <summary>
/// Folds the ways one name is typed on different platforms into one form: Unicode NFKD, diacritics,
/// punctuation and spaces removed, case-folded ("José O'Neil-Smith" and "jose oneil smith" agree).
/// </summary>
public static class NameNormalizer
{
    public static string Normalize(string name)
    {
        // ASCII is its own NFKD, and its letters and digits lower-case to ASCII: the same result
        // without the Unicode tables, for the names nearly every check carries.
        if (Ascii.IsValid(name))
        {
            return string.Create(CountAsciiLettersOrDigits(name), name, static (target, source) =>
            {
                var next = 0;
                foreach (var c in source)
                {
                    if (char.IsAsciiLetterOrDigit(c))
                    {
                        target[next++] = char.ToLowerInvariant(c);
                    }
                }
            });
        }

        var decomposed = name.Normalize(NormalizationForm.FormKD);
        var builder = new StringBuilder(decomposed.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                builder.Append(utf16[..Rune.ToLowerInvariant(rune).EncodeToUtf16(utf16)]);
            }
        }

        return builder.ToString();
    }

    public static bool HasLetters(string name) =>
        Ascii.IsValid(name) ? CountAsciiLettersOrDigits(name) > 0 : Normalize(name).Length > 0;

    private static int CountAsciiLettersOrDigits(string name)
    {
        var count = 0;
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                count++;
            }
        }

        return count;
    }
}
