namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// What a rule found. <see cref="HomeUse"/> asks for the policy's home-use severity where the
/// rule has one. Summaries stay under 140 characters and carry no PHI or other platforms' ids.
/// </summary>
/// <remarks>
/// The summary and detail are formatted only when first read (<see cref="Evaluation.Finding"/>):
/// a rule hands over the facts and a formatter, because two sentences of 100-250 characters per
/// finding were most of what a decision allocated, and a caller that only needs the outcome and the
/// codes should not pay for them. Fixed sentences are plain strings (<see cref="Of(string, string, bool)"/>).
/// </remarks>
public abstract class RuleHit
{
    private protected RuleHit(CallerEvidence evidence, bool homeUse)
    {
        Evidence = evidence;
        HomeUse = homeUse;
    }

    /// <summary>The caller's own record ids the finding rests on.</summary>
    public CallerEvidence Evidence { get; }

    public bool HomeUse { get; }

    public abstract string FormatSummary();

    public abstract string FormatDetail();

    /// <summary>A hit whose text is fixed (or already formatted).</summary>
    public static RuleHit Of(string summary, string detail, bool homeUse = false) =>
        new TextHit(summary, detail, CallerEvidence.None, homeUse);

    /// <inheritdoc cref="Of(string, string, bool)"/>
    public static RuleHit Of(string summary, string detail, CallerEvidence evidence, bool homeUse = false) =>
        new TextHit(summary, detail, evidence, homeUse);

    /// <summary>
    /// A hit whose text is formatted from <paramref name="facts"/> when read. The formatters must be
    /// static lambdas (cached by the compiler, so no allocation) that depend on the facts alone.
    /// Numbers are formatted with <c>string.Create(InvariantCulture, $"...")</c>: it writes them
    /// straight into the text, where <c>FormattableString.Invariant</c> boxes each into an array first.
    /// </summary>
    public static RuleHit Deferred<TFacts>(
        TFacts facts, Func<TFacts, string> summary, Func<TFacts, string> detail, CallerEvidence evidence = default, bool homeUse = false)
        where TFacts : struct =>
        new DeferredHit<TFacts>(facts, summary, detail, evidence, homeUse);

    private sealed class TextHit(string summary, string detail, CallerEvidence evidence, bool homeUse)
        : RuleHit(evidence, homeUse)
    {
        public override string FormatSummary() => summary;

        public override string FormatDetail() => detail;
    }

    private sealed class DeferredHit<TFacts>(
        TFacts facts, Func<TFacts, string> summary, Func<TFacts, string> detail, CallerEvidence evidence, bool homeUse)
        : RuleHit(evidence, homeUse)
        where TFacts : struct
    {
        public override string FormatSummary() => summary(facts);

        public override string FormatDetail() => detail(facts);
    }
}
