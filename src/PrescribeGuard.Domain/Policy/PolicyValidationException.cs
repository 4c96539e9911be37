namespace PrescribeGuard.Domain.Policy;

public sealed class PolicyValidationException(IReadOnlyList<string> errors)
    : Exception("invalid policy: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
