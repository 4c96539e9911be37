using Google.Protobuf.WellKnownTypes;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.Policy;
using Proto = PrescribeGuard.V1;

namespace PrescribeGuard.Server.Mapping;

/// <summary>Maps the domain's evaluation to the contract's Decision.</summary>
public static class ToContract
{
    public static Proto.Outcome Outcome(Outcome outcome) => (Proto.Outcome)((int)outcome + 1);

    public static Proto.Severity Severity(Severity severity) => (Proto.Severity)((int)severity + 1);

    public static Proto.Finding Finding(Finding finding) => new()
    {
        Code = finding.Code,
        Severity = Severity(finding.Severity),
        Summary = finding.Summary,
        Detail = finding.Detail,
        Source = finding.Source,
        EvidenceIds = { finding.EvidenceIds },
        Shadow = finding.Shadow,
    };

    public static Proto.Decision Decision(
        string decisionId, string requestId, Evaluation evaluation, DateTimeOffset evaluatedAt, DateTimeOffset? reservationExpiresAt, bool dryRun)
    {
        var decision = new Proto.Decision
        {
            DecisionId = decisionId,
            RequestId = requestId,
            Outcome = Outcome(evaluation.Outcome),
            PolicyVersion = evaluation.PolicyVersion,
            EvaluatedAt = Timestamp.FromDateTimeOffset(evaluatedAt),
            DryRun = dryRun,
        };
        decision.Findings.AddRange(evaluation.Findings.Select(Finding));
        if (reservationExpiresAt is { } expiresAt)
        {
            decision.ReservationExpiresAt = Timestamp.FromDateTimeOffset(expiresAt);
        }

        return decision;
    }
}
