namespace PrescribeGuard.Domain.Identifiers;

/// <summary>USPS codes of the jurisdictions where a DEA registration and a state licence apply.</summary>
public static class UsStates
{
    private static readonly HashSet<string> Codes = new(StringComparer.Ordinal)
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
        "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
        "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
        "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
    };

    public static bool IsValid(string? code) => code is not null && Codes.Contains(code);
}
