using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Evaluation;

/// <summary>Runs every enabled rule of the policy over one check and its patient's history.</summary>
public sealed class PrescriptionEvaluator(RuleCatalog catalog)
{
    public RuleCatalog Catalog { get; } = catalog;

    public Evaluation Evaluate(PrescriptionCheck check, PatientHistory history, GuardPolicy policy)
    {
        var context = new RuleContext(check, history, policy);
        var findings = new List<Finding>();
        foreach (var rule in Catalog.Rules)
        {
            if (!policy.Rules.TryGetValue(rule.Code, out var settings) || !settings.Enabled)
            {
                continue;
            }

            var hit = rule.Evaluate(context, settings);
            if (hit is not null)
            {
                findings.Add(ToFinding(hit, settings, check.PlatformId));
            }
        }

        return new Evaluation(OutcomeMapping.From(findings), findings, policy.Version);
    }

    private static Finding ToFinding(RuleHit hit, RuleSettings settings, string callerPlatformId)
    {
        // Another platform's record ids would tell the caller who else treats the patient.
        var evidence = hit.Evidence
            .Where(e => e.PlatformId == callerPlatformId)
            .Select(e => e.RecordId)
            .Distinct()
            .ToArray();
        var severity = hit.HomeUse && settings.HomeUseSeverity is { } homeUse ? homeUse : settings.Severity;
        return new Finding(settings.Code, severity, hit.Summary, hit.Detail, settings.Source, evidence, settings.Shadow);
    }
}
