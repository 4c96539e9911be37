using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Evaluation;

/// <summary>A rule's finding as the caller sees it: evidence ids are the caller's own only.</summary>
/// <remarks>
/// A finding made by the evaluator formats its <see cref="Summary"/> and <see cref="Detail"/> on
/// first read (see <see cref="RuleHit"/>) and keeps them. Two threads reading at once may both
/// format; they produce the same text, and publishing a reference to an immutable string is safe
/// in .NET, so whichever is kept is right.
/// </remarks>
public sealed class Finding
{
    private readonly RuleHit? _hit;
    private string? _summary;
    private string? _detail;

    public Finding(
        string code, Severity severity, string summary, string detail, string source, IReadOnlyList<string> evidenceIds, bool shadow)
        : this(code, severity, source, evidenceIds, shadow)
    {
        _summary = summary;
        _detail = detail;
    }

    internal Finding(string code, Severity severity, RuleHit hit, string source, bool shadow)
        : this(code, severity, source, hit.Evidence.Ids, shadow)
    {
        _hit = hit;
    }

    private Finding(string code, Severity severity, string source, IReadOnlyList<string> evidenceIds, bool shadow)
    {
        Code = code;
        Severity = severity;
        Source = source;
        EvidenceIds = evidenceIds;
        Shadow = shadow;
    }

    public string Code { get; }

    public Severity Severity { get; }

    public string Summary => _summary ??= _hit!.FormatSummary();

    public string Detail => _detail ??= _hit!.FormatDetail();

    public string Source { get; }

    public IReadOnlyList<string> EvidenceIds { get; }

    public bool Shadow { get; }

    public override string ToString() => $"{Code} ({Severity}{(Shadow ? ", shadow" : string.Empty)}): {Summary}";
}
