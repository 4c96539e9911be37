namespace PrescribeGuard.Domain.Errors;

/// <summary>
/// Why a request cannot be answered. Each kind maps to one gRPC status in one place (the server's
/// exception interceptor); a DENY is an answer, never one of these.
/// </summary>
public enum GuardErrorKind
{
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,
}

/// <summary>A request the guard cannot answer, with a machine-readable <see cref="Reason"/>.</summary>
public sealed class GuardException(GuardErrorKind kind, string reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public GuardErrorKind Kind { get; } = kind;

    /// <summary>An UPPER_SNAKE reason an integrator can branch on, e.g. RESERVATION_EXPIRED.</summary>
    public string Reason { get; } = reason;

    public static GuardException NotFound(string reason, string message) => new(GuardErrorKind.NotFound, reason, message);

    /// <summary>Another platform's decision is answered exactly like one that does not exist.</summary>
    public static GuardException DecisionNotFound() =>
        NotFound("DECISION_NOT_FOUND", "no decision with that decision_id was made for this platform");

    public static GuardException AlreadyExists(string reason, string message) => new(GuardErrorKind.AlreadyExists, reason, message);

    public static GuardException Precondition(string reason, string message) => new(GuardErrorKind.FailedPrecondition, reason, message);

    public static GuardException Unavailable(string reason, string message, Exception? inner = null) =>
        new(GuardErrorKind.Unavailable, reason, message, inner);
}
