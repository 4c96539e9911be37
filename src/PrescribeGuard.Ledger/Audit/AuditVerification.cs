namespace PrescribeGuard.Ledger.Audit;

/// <summary>The result of walking the chain: how many links held, and the first that did not.</summary>
public sealed record AuditVerification(long LinksVerified, AuditBreak? FirstBreak)
{
    public bool IsIntact => FirstBreak is null;

    /// <summary>Each chain's last link, to keep outside the database for the next verification (when intact).</summary>
    public IReadOnlyList<AuditAnchor> Heads { get; init; } = [];
}

public sealed record AuditBreak(long Sequence, string Kind, string RecordId, string Reason)
{
    /// <summary>The chain the broken link is on (links are spread over chains by patient).</summary>
    public int Chain { get; init; }
}
