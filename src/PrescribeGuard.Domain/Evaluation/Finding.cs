using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Evaluation;

/// <summary>A rule's finding as the caller sees it: evidence ids are the caller's own only.</summary>
public sealed record Finding(
    string Code,
    Severity Severity,
    string Summary,
    string Detail,
    string Source,
    IReadOnlyList<string> EvidenceIds,
    bool Shadow);
