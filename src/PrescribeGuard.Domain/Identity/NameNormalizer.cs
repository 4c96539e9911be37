using System.Globalization;
using System.Text;

namespace PrescribeGuard.Domain.Identity;

/// <summary>
/// Folds the ways one name is typed on different platforms into one form: Unicode NFKD, case
/// folded, punctuation and spaces removed, and the letters a keyboard or a record system without
/// them writes otherwise brought to that spelling ("José O'Neil-Smith" and "jose oneil smith",
/// "Łukasz Strauß" and "Lukasz Strauss" agree). Marks are dropped where a script's marks are
/// optional accents (Latin, Greek, Cyrillic, Armenian, Hebrew points, Arabic and Syriac vowel signs) and kept
/// where they are the vowels themselves (Devanagari and the other Brahmic scripts, Thai, ...):
/// कमल and कोमल are two names, not two spellings of one.
/// </summary>
public static class NameNormalizer
{
    /// <summary>
    /// The version of this folding. Keys derived by another version do not match: the ledger keeps
    /// the version it was keyed with (through <see cref="PatientKeyDeriver.Verifier"/>).
    /// </summary>
    public const int Version = 2;

    public static string Normalize(string name)
    {
        // ASCII is its own NFKD, and its letters and digits fold to ASCII: the same result without
        // the Unicode tables, for the names nearly every check carries.
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
        var marksAreAccents = true;
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                marksAreAccents = HasOptionalMarks(rune);
                AppendFolded(builder, Rune.ToLowerInvariant(rune), utf16);
            }
            else if (IsMark(rune) && !marksAreAccents && !IsOptionalEverywhere(rune))
            {
                builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Whether Unicode normalisation takes the name: a noncharacter such as U+FFFE is valid UTF-8, so
    /// it arrives, but normalising it throws; such a name is refused as invalid, never keyed.
    /// </summary>
    public static bool CanNormalize(string name)
    {
        if (Ascii.IsValid(name))
        {
            return true;
        }

        try
        {
            _ = name.IsNormalized(NormalizationForm.FormKD);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static bool HasLetters(string name) =>
        Ascii.IsValid(name) ? CountAsciiLettersOrDigits(name) > 0 : Normalize(name).Length > 0;

    /// <summary>
    /// Letters NFKD leaves whole (a stroke or a ligature is not a mark) and one case-fold lower-casing
    /// misses (final sigma), written as record systems limited to ASCII or to one case write them.
    /// </summary>
    private static void AppendFolded(StringBuilder builder, Rune lower, Span<char> utf16)
    {
        var folded = lower.Value switch
        {
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            'þ' => "th",
            'ø' => "o",
            'ł' => "l",
            'đ' or 'ð' => "d",
            'ı' => "i",
            'ħ' => "h",
            'ŧ' => "t",
            'ŋ' => "n",
            'ς' => "σ",
            _ => null,
        };
        if (folded is null)
        {
            builder.Append(utf16[..lower.EncodeToUtf16(utf16)]);
        }
        else
        {
            builder.Append(folded);
        }
    }

    private static bool IsMark(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>
    /// Marks that change no letter in any script: variation selectors (a glyph variant of 葛 or 辻, which
    /// identity documents carry and typing does not), Mongolian free variation selectors, the combining
    /// grapheme joiner, and the Indic nukta, so often left out when typing that ज़ाकिर and जाकिर are one name.
    /// </summary>
    private static bool IsOptionalEverywhere(Rune mark) => mark.Value switch
    {
        >= 0xFE00 and <= 0xFE0F => true,
        >= 0xE0100 and <= 0xE01EF => true,
        >= 0x180B and <= 0x180F => true,
        0x034F => true,
        0x093C or 0x09BC or 0x0A3C or 0x0ABC or 0x0B3C or 0x0C3C or 0x0CBC => true,
        _ => false,
    };

    /// <summary>Scripts whose combining marks are accents a name is also written without.</summary>
    private static bool HasOptionalMarks(Rune letter) => letter.Value switch
    {
        < 0x0530 => true, // Latin, IPA, Greek, Cyrillic and their supplements
        < 0x0750 => true, // Armenian, Hebrew, Arabic, Syriac
        >= 0x0750 and < 0x0780 => true, // Arabic supplement
        >= 0x08A0 and < 0x0900 => true, // Arabic extended-A
        >= 0x1E00 and < 0x2000 => true, // Latin extended additional, Greek extended
        >= 0x2C60 and < 0x2C80 => true, // Latin extended-C
        >= 0x2DE0 and < 0x2E00 => true, // Cyrillic extended-A
        >= 0xA640 and < 0xA6A0 => true, // Cyrillic extended-B
        >= 0xA720 and < 0xA800 => true, // Latin extended-D
        _ => false,
    };

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
