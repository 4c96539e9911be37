namespace PrescribeGuard.Domain.Evaluation;

public sealed record Evaluation(Outcome Outcome, IReadOnlyList<Finding> Findings, string PolicyVersion);
