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
    public void Content_hashes_are_those_of_the_length_prefixed_text_that_earlier_versions_stored()
    {
        var random = new Random(20261124);
        var payloads = new[] { 0, 1, 2, 3, 4, 57, 1000, 4096 }.Select(length =>
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        });
        object?[][] cases =
        [
            [],
            [null],
            [string.Empty, null, 0L],
            ["dec_0192f3", "platform-a", "req-1", "fp", new string('a', 64), 1L, 0L, "sha256:0123", 1764000000000L, null],
            ["José O'Neil-Smith", "名前", "emoji \U0001F600 pair", "\u2400", -42L, 3.25, DateTimeOffset.UnixEpoch],
            .. payloads.Select(payload => new object?[] { "dec-1", payload, 7L }),
        ];

        foreach (var fields in cases)
        {
            Assert.Equal(ContentAsFirstDefined(fields), AuditHash.Content(fields));
        }
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

    [Fact]
    public void An_anchor_reads_back_the_line_it_prints_and_refuses_anything_else()
    {
        var anchor = new AuditAnchor(7, 42, new string('a', 64));

        Assert.Equal($"anchor 7 42 {new string('a', 64)}", anchor.ToString());
        Assert.True(AuditAnchor.TryParse(anchor.ToString(), out var parsed));
        Assert.Equal(anchor, parsed);
        Assert.False(AuditAnchor.TryParse("anchor 7 42", out _));
        Assert.False(AuditAnchor.TryParse($"anchor 7 0 {new string('a', 64)}", out _));
        Assert.False(AuditAnchor.TryParse($"anchor -1 42 {new string('a', 64)}", out _));
        Assert.False(AuditAnchor.TryParse($"anchor 7 42 {new string('A', 64)}", out _));
        Assert.False(AuditAnchor.TryParse($"anchor 7 42 {new string('a', 63)}", out _));
        Assert.False(AuditAnchor.TryParse($"head 7 42 {new string('a', 64)}", out _));
    }

    /// <summary>Content as it was first defined (one string, then hashed); stored links depend on it.</summary>
    private static string ContentAsFirstDefined(params object?[] fields)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var field in fields)
        {
            var text = field switch
            {
                null => "\u2400",
                byte[] bytes => Convert.ToBase64String(bytes),
                IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => field.ToString() ?? string.Empty,
            };
            builder.Append(text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(':').Append(text).Append('|');
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(builder.ToString())));
    }
}
