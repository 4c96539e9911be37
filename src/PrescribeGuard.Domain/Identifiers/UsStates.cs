namespace PrescribeGuard.Domain.Identifiers;

/// <summary>USPS codes of the jurisdictions where a DEA registration and a state licence apply.</summary>
public static class UsStates
{
    // The IANA zone of each jurisdiction's capital: the calendar in which a legal date (the
    // flexibilities' last day, six months after issue) ends for a patient located there. A state
    // spanning two zones takes its capital's, so its other part is off by at most an hour.
    private static readonly Dictionary<string, string> TimeZoneIds = new(StringComparer.Ordinal)
    {
        ["AL"] = "America/Chicago",
        ["AK"] = "America/Anchorage",
        ["AZ"] = "America/Phoenix",
        ["AR"] = "America/Chicago",
        ["CA"] = "America/Los_Angeles",
        ["CO"] = "America/Denver",
        ["CT"] = "America/New_York",
        ["DE"] = "America/New_York",
        ["DC"] = "America/New_York",
        ["FL"] = "America/New_York",
        ["GA"] = "America/New_York",
        ["HI"] = "Pacific/Honolulu",
        ["ID"] = "America/Boise",
        ["IL"] = "America/Chicago",
        ["IN"] = "America/Indiana/Indianapolis",
        ["IA"] = "America/Chicago",
        ["KS"] = "America/Chicago",
        ["KY"] = "America/New_York",
        ["LA"] = "America/Chicago",
        ["ME"] = "America/New_York",
        ["MD"] = "America/New_York",
        ["MA"] = "America/New_York",
        ["MI"] = "America/Detroit",
        ["MN"] = "America/Chicago",
        ["MS"] = "America/Chicago",
        ["MO"] = "America/Chicago",
        ["MT"] = "America/Denver",
        ["NE"] = "America/Chicago",
        ["NV"] = "America/Los_Angeles",
        ["NH"] = "America/New_York",
        ["NJ"] = "America/New_York",
        ["NM"] = "America/Denver",
        ["NY"] = "America/New_York",
        ["NC"] = "America/New_York",
        ["ND"] = "America/Chicago",
        ["OH"] = "America/New_York",
        ["OK"] = "America/Chicago",
        ["OR"] = "America/Los_Angeles",
        ["PA"] = "America/New_York",
        ["RI"] = "America/New_York",
        ["SC"] = "America/New_York",
        ["SD"] = "America/Chicago",
        ["TN"] = "America/Chicago",
        ["TX"] = "America/Chicago",
        ["UT"] = "America/Denver",
        ["VT"] = "America/New_York",
        ["VA"] = "America/New_York",
        ["WA"] = "America/Los_Angeles",
        ["WV"] = "America/New_York",
        ["WI"] = "America/Chicago",
        ["WY"] = "America/Denver",
        ["PR"] = "America/Puerto_Rico",
        ["VI"] = "America/St_Thomas",
        ["GU"] = "Pacific/Guam",
        ["AS"] = "Pacific/Pago_Pago",
        ["MP"] = "Pacific/Saipan",
    };

    public static IEnumerable<string> All => TimeZoneIds.Keys;

    public static bool IsValid(string? code) => code is not null && TimeZoneIds.ContainsKey(code);

    /// <summary>The IANA time zone whose calendar dates count for a patient located in <paramref name="code"/>.</summary>
    public static string TimeZoneId(string code) =>
        TimeZoneIds.TryGetValue(code, out var zone) ? zone : throw new ArgumentException($"not a USPS jurisdiction code: {code}", nameof(code));
}
