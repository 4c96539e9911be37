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
    IReadOnlyDictionary<string, RuleSettings> Rules);
