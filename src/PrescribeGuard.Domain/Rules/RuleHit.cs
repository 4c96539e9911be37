namespace PrescribeGuard.Domain.Rules;

/// <summary>A record a finding rests on, named by the platform that owns the id.</summary>
public readonly record struct EvidenceRef(string PlatformId, string RecordId);

/// <summary>
/// What a rule found. <see cref="HomeUse"/> asks for the policy's home-use severity where the
/// rule has one. Summaries stay under 140 characters and carry no PHI or other platforms' ids.
/// </summary>
public sealed record RuleHit(string Summary, string Detail, IReadOnlyList<EvidenceRef> Evidence, bool HomeUse = false)
{
    public static RuleHit Of(string summary, string detail, bool homeUse = false) => new(summary, detail, [], homeUse);
}
