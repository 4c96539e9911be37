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
