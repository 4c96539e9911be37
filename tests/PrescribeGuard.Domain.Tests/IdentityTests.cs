using System.Text;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Domain.Tests;

public sealed class NameNormalizerTests
{
    [Theory]
    [InlineData("José", "jose")]
    [InlineData("JOSE", "jose")]
    [InlineData("Jo-sé", "jose")]
    [InlineData("  José  ", "jose")]
    [InlineData("Jo  sé", "jose")]
    [InlineData("Ｊｏｓé", "jose")] // fullwidth letters
    [InlineData("O'Neil", "oneil")]
    [InlineData("ONeil", "oneil")]
    [InlineData("O’Neil-Smith", "oneilsmith")]
    [InlineData("Müller", "muller")]
    [InlineData("Łukasiewicz", "lukasiewicz")] // letters NFKD leaves whole: a stroke is not a mark
    [InlineData("Sørensen", "sorensen")]
    [InlineData("Yıldız", "yildiz")]
    [InlineData("İlknur", "ilknur")]
    [InlineData("Đorđević", "dordevic")]
    [InlineData("Guðrún", "gudrun")]
    [InlineData("Strauß", "strauss")]
    [InlineData("STRAUẞ", "strauss")]
    [InlineData("Ærøskøbing", "aeroskobing")]
    [InlineData("Œuvray", "oeuvray")]
    [InlineData("Þórsdóttir", "thorsdottir")]
    [InlineData("ΝΙΚΟΣ", "νικοσ")] // a final sigma is a sigma
    [InlineData("Νίκος", "νικοσ")]
    [InlineData("Дмитрий", "дмитрии")] // Cyrillic short i: its breve is an accent
    [InlineData("אֲבִיגַיִל", "אביגיל")] // Hebrew points are written or not
    [InlineData("أحمد", "احمد")] // Arabic hamza on alef likewise
    public void Folds_the_ways_a_name_is_typed(string typed, string normalized) =>
        Assert.Equal(normalized, NameNormalizer.Normalize(typed));

    [Theory]
    [InlineData("कमल", "कोमल")] // Kamal and Komal: Devanagari vowel signs are the vowels
    [InlineData("কমল", "কোমল")] // Bengali
    [InlineData("สมชาย", "สมชิาย")] // Thai vowel marks
    [InlineData("かだ", "がだ")] // the voicing mark makes another syllable
    public void Keeps_the_marks_that_are_a_scripts_vowels_or_syllables(string one, string other) =>
        Assert.NotEqual(NameNormalizer.Normalize(one), NameNormalizer.Normalize(other));

    [Theory]
    [InlineData("葛\U000E0100飾", "葛飾")] // an ideographic variation selector: a glyph variant, not another name
    [InlineData("\uFA19", "神\uFE00")] // a compatibility ideograph and its standardised variant
    [InlineData("辻\U000E0101", "辻")]
    [InlineData("ज़ाकिर", "जाकिर")] // the nukta, often left out when typing
    [InlineData("ܡܲܪܝܲܡ", "ܡܪܝܡ")] // Syriac vowel points are written or not
    public void Drops_the_marks_that_change_no_letter(string one, string other) =>
        Assert.Equal(NameNormalizer.Normalize(other), NameNormalizer.Normalize(one));

    [Fact]
    public void Gives_one_form_for_a_precomposed_and_a_decomposed_name_in_any_script()
    {
        foreach (var name in new[] { "कोमल", "José", "がだ", "Νίκος", "Đorđe" })
        {
            Assert.Equal(NameNormalizer.Normalize(name.Normalize(NormalizationForm.FormC)), NameNormalizer.Normalize(name.Normalize(NormalizationForm.FormD)));
        }
    }

    [Fact]
    public void Gives_what_the_definition_gives_for_every_ascii_and_a_sample_of_other_names()
    {
        var random = new Random(20261124);
        var alphabet = Enumerable.Range(0, 128).Select(c => (char)c)
            .Concat("éÉüßẞøØÅłŁıđĐðþæœς’‘ＡｚİǅﬁⅣ①\u0301\u00A0".ToCharArray()).ToArray();
        var names = Enumerable.Range(0, 5_000)
            .Select(_ => new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(random.Next(2) == 0 ? 128 : alphabet.Length)])]))
            .Append("emoji \U0001F600 x")
            .Append("Ǆemal");

        foreach (var name in names)
        {
            var defined = NormalizeAsDefined(name);
            Assert.Equal(defined, NameNormalizer.Normalize(name));
            Assert.Equal(defined.Length > 0, NameNormalizer.HasLetters(name));
        }
    }

    /// <summary>
    /// The definition for names in scripts whose marks are accents: NFKD, letters and digits only,
    /// lower-cased, then the letters NFKD leaves whole spelled as without them.
    /// </summary>
    private static string NormalizeAsDefined(string name)
    {
        var builder = new StringBuilder();
        foreach (var rune in name.Normalize(NormalizationForm.FormKD).EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }

        return builder.ToString()
            .Replace("ß", "ss", StringComparison.Ordinal).Replace("æ", "ae", StringComparison.Ordinal)
            .Replace("œ", "oe", StringComparison.Ordinal).Replace("þ", "th", StringComparison.Ordinal)
            .Replace('ø', 'o').Replace('ł', 'l').Replace('đ', 'd').Replace('ð', 'd').Replace('ı', 'i')
            .Replace('ħ', 'h').Replace('ŧ', 't').Replace('ŋ', 'n').Replace('ς', 'σ');
    }

    [Theory]
    [InlineData("José", true)]
    [InlineData(" -'. ", false)]
    [InlineData("", false)]
    public void Knows_whether_a_name_has_letters(string name, bool hasLetters) =>
        Assert.Equal(hasLetters, NameNormalizer.HasLetters(name));
}

public sealed class PatientKeyDeriverTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("a-test-secret-of-at-least-32-bytes!!");
    private static readonly DateOnly BirthDate = new(1985, 4, 12);
    private static readonly PatientKeyDeriver Deriver = new(Secret);
    private static readonly PatientKey Reference = Deriver.Derive("O'Neil", "José", BirthDate);

    [Theory]
    [InlineData("O'Neil", "José")]
    [InlineData("ONeil", "JOSE")]
    [InlineData("o neil", "Jo-sé")]
    [InlineData("  O'NEIL ", "  jose  ")]
    [InlineData("ＯＮｅｉｌ", "Ｊｏｓｅ")]
    public void The_same_person_typed_differently_gets_the_same_key(string family, string given) =>
        Assert.Equal(Reference, Deriver.Derive(family, given, BirthDate));

    [Theory]
    [InlineData("O'Neil", "Josefa", 0)] // another given name
    [InlineData("Neil", "José", 0)] // another family name
    [InlineData("José", "O'Neil", 0)] // names swapped
    [InlineData("O'Neil", "José", 1)] // born a day later
    public void Different_people_get_different_keys(string family, string given, int birthDaysLater) =>
        Assert.NotEqual(Reference, Deriver.Derive(family, given, BirthDate.AddDays(birthDaysLater)));

    [Theory]
    [InlineData("Łukasiewicz", "Łukasz", "Lukasiewicz", "Lukasz")]
    [InlineData("Strauß", "Anna", "STRAUSS", "ANNA")]
    [InlineData("ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΝΙΚΟΣ", "Παπαδόπουλος", "Νίκος")]
    public void The_same_person_typed_with_and_without_special_letters_gets_the_same_key(string family, string given, string otherFamily, string otherGiven) =>
        Assert.Equal(Deriver.Derive(family, given, BirthDate), Deriver.Derive(otherFamily, otherGiven, BirthDate));

    [Fact]
    public void Twins_whose_names_differ_by_a_vowel_sign_get_different_keys() =>
        Assert.NotEqual(Deriver.Derive("शर्मा", "कमल", BirthDate), Deriver.Derive("शर्मा", "कोमल", BirthDate));

    [Fact]
    public void The_verifier_names_the_name_folding_it_keys_with()
    {
        var firstFolding = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Secret, "PrescribeGuard patient-key verifier v1"u8));

        Assert.NotEqual(firstFolding, Deriver.Verifier);
        Assert.Equal(Deriver.Verifier, new PatientKeyDeriver(Secret).Verifier);
    }

    [Fact]
    public void Another_secret_gives_another_key()
    {
        var other = new PatientKeyDeriver(Encoding.UTF8.GetBytes("another-test-secret-of-32-bytes!!!!"));

        Assert.NotEqual(Reference, other.Derive("O'Neil", "José", BirthDate));
    }

    [Fact]
    public void The_key_is_a_hex_hmac_that_hides_the_name()
    {
        Assert.Matches("^[0-9a-f]{64}$", Reference.Value);
        Assert.DoesNotContain("neil", Reference.Value, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_short_secret_is_refused() =>
        Assert.Throws<ArgumentException>(() => new PatientKeyDeriver(new byte[31]));
}
