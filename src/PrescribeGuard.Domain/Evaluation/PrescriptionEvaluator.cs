using System.Buffers;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Evaluation;

/// <summary>Runs every enabled rule of the policy over one check and its patient's history.</summary>
public sealed class PrescriptionEvaluator(RuleCatalog catalog)
{
    // The enabled rules of the policy last used, resolved once: policies change rarely, checks often.
    private EnabledRules? _enabled;

    public RuleCatalog Catalog { get; } = catalog;

    public Evaluation Evaluate(PrescriptionCheck check, PatientHistory history, GuardPolicy policy)
    {
        using var context = new RuleContext(check, history, policy);
        var rules = EnabledFor(policy);
        // A rule reports at most one hit, so the enabled rules bound the findings: collect them in a
        // pooled buffer and keep an array of exactly their number (no list regrowing per check).
        var buffer = ArrayPool<Finding>.Shared.Rent(rules.Length);
        try
        {
            var count = 0;
            foreach (var (rule, settings) in rules)
            {
                if (rule.Evaluate(context, settings) is { } hit)
                {
                    buffer[count++] = ToFinding(hit, settings);
                }
            }

            Finding[] findings = count == 0 ? [] : buffer.AsSpan(0, count).ToArray();
            return new Evaluation(OutcomeMapping.From(findings.AsSpan()), findings, policy.Version);
        }
        finally
        {
            ArrayPool<Finding>.Shared.Return(buffer, clearArray: true);
        }
    }

    private (IRule Rule, RuleSettings Settings)[] EnabledFor(GuardPolicy policy)
    {
        var enabled = Volatile.Read(ref _enabled);
        if (enabled is not null && ReferenceEquals(enabled.Policy, policy))
        {
            return enabled.Rules;
        }

        var rules = new List<(IRule, RuleSettings)>(Catalog.Rules.Count);
        foreach (var rule in Catalog.Rules)
        {
            if (policy.Rules.TryGetValue(rule.Code, out var settings) && settings.Enabled)
            {
                rules.Add((rule, settings));
            }
        }

        enabled = new EnabledRules(policy, [.. rules]);
        Volatile.Write(ref _enabled, enabled);
        return enabled.Rules;
    }

    private static Finding ToFinding(RuleHit hit, RuleSettings settings)
    {
        // The hit's evidence is already the caller's own (CallerEvidence); its text is formatted when read.
        var severity = hit.HomeUse && settings.HomeUseSeverity is { } homeUse ? homeUse : settings.Severity;
        return new Finding(settings.Code, severity, hit, settings.Source, settings.Shadow);
    }

    private sealed record EnabledRules(GuardPolicy Policy, (IRule Rule, RuleSettings Settings)[] Rules);
}
