namespace PrescribeGuard.Domain.Policy;

/// <summary>
/// A validated, immutable policy. <see cref="Version"/> is a hash of the document's content, so
/// every decision names exactly the rules it was made under.
/// </summary>
public sealed record GuardPolicy(
    string Version,
    string Name,
    TimeSpan ReservationTtl,
    DateOnly TelemedicineFlexibilityLastDay,
    IReadOnlyDictionary<string, RuleSettings> Rules)
{
    /// <summary>The DEA telemedicine flexibilities cover the whole last day (UTC) and end after it.</summary>
    public DateTimeOffset TelemedicineFlexibilityEndsAt =>
        new(TelemedicineFlexibilityLastDay.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
}
