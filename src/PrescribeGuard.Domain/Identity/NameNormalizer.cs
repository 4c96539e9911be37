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
        var decomposed = name.Normalize(NormalizationForm.FormKD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }

        return builder.ToString();
    }

    public static bool HasLetters(string name) => Normalize(name).Length > 0;
}
