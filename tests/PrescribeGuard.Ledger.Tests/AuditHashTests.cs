using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Tests;

public sealed class AuditHashTests
{
    [Fact]
    public void Each_chain_starts_from_its_own_genesis()
    {
        var genesis = Enumerable.Range(0, 16).Select(AuditHash.GenesisOf).ToList();

        Assert.Equal(AuditHash.Genesis, genesis[0]);
        Assert.Equal(16, genesis.Distinct().Count());
        Assert.Equal(AuditHash.GenesisOf(3), AuditHash.GenesisOf(3));
    }

    [Fact]
    public void A_link_hash_covers_sequence_kind_record_content_and_previous()
    {
        var link = AuditHash.Link(1, AuditKind.Decision, "dec-1", "content", AuditHash.Genesis);

        Assert.NotEqual(link, AuditHash.Link(2, AuditKind.Decision, "dec-1", "content", AuditHash.Genesis));
        Assert.NotEqual(link, AuditHash.Link(1, AuditKind.Release, "dec-1", "content", AuditHash.Genesis));
        Assert.NotEqual(link, AuditHash.Link(1, AuditKind.Decision, "dec-2", "content", AuditHash.Genesis));
        Assert.NotEqual(link, AuditHash.Link(1, AuditKind.Decision, "dec-1", "other", AuditHash.Genesis));
        Assert.NotEqual(link, AuditHash.Link(1, AuditKind.Decision, "dec-1", "content", AuditHash.GenesisOf(1)));
    }
}
