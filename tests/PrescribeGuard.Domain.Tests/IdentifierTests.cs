using PrescribeGuard.Domain.Identifiers;

namespace PrescribeGuard.Domain.Tests;

public sealed class IdentifierTests
{
    [Theory]
    [InlineData("1234567893", true)]
    [InlineData("1245319599", true)]
    [InlineData("1234567890", false)] // wrong check digit
    [InlineData("1234567894", false)]
    [InlineData("123456789", false)] // 9 digits
    [InlineData("12345678930", false)] // 11 digits
    [InlineData("123456789A", false)]
    [InlineData("12345 7893", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Npi_is_ten_digits_with_a_luhn_check(string? npi, bool valid) =>
        Assert.Equal(valid, Npi.IsValid(npi));

    [Theory]
    [InlineData("platform-a", true)]
    [InlineData("Clinic_2.east", true)]
    [InlineData("a", true)]
    [InlineData("clinic/one", false)] // the audit names records platform/id
    [InlineData("clinic one", false)]
    [InlineData("clínica", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Platform_id_is_short_ascii_without_a_slash(string? platformId, bool wellFormed) =>
        Assert.Equal(wellFormed, PlatformId.IsWellFormed(platformId));

    [Fact]
    public void Platform_id_is_at_most_64_characters()
    {
        Assert.True(PlatformId.IsWellFormed(new string('p', 64)));
        Assert.False(PlatformId.IsWellFormed(new string('p', 65)));
    }

    [Theory]
    [InlineData("AB1234563", true)]
    [InlineData("FN5623740", true)]
    [InlineData("AB1234560", false)] // wrong check digit
    [InlineData("AB1234564", false)]
    [InlineData("AB123456", false)] // too short
    [InlineData("AB12345630", false)] // too long
    [InlineData("A11234563", false)] // the second character must be a letter
    [InlineData("1B1234563", false)]
    [InlineData("ab1234563", false)] // lower case
    [InlineData("ABC234563", false)] // a letter among the digits
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Dea_number_is_two_letters_and_seven_digits_with_a_check_digit(string? dea, bool valid) =>
        Assert.Equal(valid, DeaNumber.IsValid(dea));

    [Theory]
    [InlineData("NY", true)]
    [InlineData("DC", true)]
    [InlineData("PR", true)]
    [InlineData("ny", false)]
    [InlineData("XX", false)]
    [InlineData("NYC", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Us_states_are_upper_case_usps_codes(string? code, bool valid) =>
        Assert.Equal(valid, UsStates.IsValid(code));

    [Fact]
    public void Every_jurisdiction_has_a_time_zone_of_the_system_database()
    {
        Assert.Equal(56, UsStates.All.Count());
        Assert.All(UsStates.All, code => Assert.NotNull(TimeZoneInfo.FindSystemTimeZoneById(UsStates.TimeZoneId(code))));
        Assert.Equal(TimeSpan.FromHours(-10), TimeZoneInfo.FindSystemTimeZoneById(UsStates.TimeZoneId("HI")).BaseUtcOffset);
        Assert.Throws<ArgumentException>(() => UsStates.TimeZoneId("XX"));
    }
}
