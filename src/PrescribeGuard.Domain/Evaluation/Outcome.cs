namespace PrescribeGuard.Domain.Evaluation;

public enum Outcome { Allow, Review, Deny }
