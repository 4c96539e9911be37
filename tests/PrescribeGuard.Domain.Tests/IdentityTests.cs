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
    public void Folds_the_ways_a_name_is_typed(string typed, string normalized) =>
        Assert.Equal(normalized, NameNormalizer.Normalize(typed));

    [Fact]
    public void Gives_what_the_first_definition_gave_for_every_ascii_and_a_sample_of_other_names()
    {
        var random = new Random(20261124);
        var alphabet = Enumerable.Range(0, 128).Select(c => (char)c)
            .Concat("éÉüßøÅ’‘ＡｚİıǅﬁⅣ①名前\u0301\u00A0".ToCharArray()).ToArray();
        var names = Enumerable.Range(0, 5_000)
            .Select(_ => new string([.. Enumerable.Range(0, random.Next(0, 24)).Select(_ => alphabet[random.Next(random.Next(2) == 0 ? 128 : alphabet.Length)])]))
            .Append("emoji \U0001F600 x")
            .Append("Ǆemal");

        foreach (var name in names)
        {
            var first = NormalizeAsFirstDefined(name);
            Assert.Equal(first, NameNormalizer.Normalize(name));
            Assert.Equal(first.Length > 0, NameNormalizer.HasLetters(name));
        }
    }

    private static string NormalizeAsFirstDefined(string name)
    {
        var builder = new StringBuilder();
        foreach (var rune in name.Normalize(NormalizationForm.FormKD).EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
            }
        }

        return builder.ToString();
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
