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
        var context = new RuleContext(check, history, policy);
        List<Finding>? findings = null;
        foreach (var (rule, settings) in EnabledFor(policy))
        {
            var hit = rule.Evaluate(context, settings);
            if (hit is not null)
            {
                (findings ??= new List<Finding>(4)).Add(ToFinding(hit, settings, check.PlatformId));
            }
        }

        IReadOnlyList<Finding> reported = findings is null ? [] : findings;
        return new Evaluation(OutcomeMapping.From(reported), reported, policy.Version);
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

    private static Finding ToFinding(RuleHit hit, RuleSettings settings, string callerPlatformId)
    {
        // Another platform's record ids would tell the caller who else treats the patient.
        List<string>? evidence = null;
        foreach (var reference in hit.Evidence)
        {
            if (reference.PlatformId == callerPlatformId && !(evidence?.Contains(reference.RecordId) ?? false))
            {
                (evidence ??= []).Add(reference.RecordId);
            }
        }

        var severity = hit.HomeUse && settings.HomeUseSeverity is { } homeUse ? homeUse : settings.Severity;
        return new Finding(settings.Code, severity, hit.Summary, hit.Detail, settings.Source, evidence is null ? [] : evidence.ToArray(), settings.Shadow);
    }

    private sealed record EnabledRules(GuardPolicy Policy, (IRule Rule, RuleSettings Settings)[] Rules);
}
