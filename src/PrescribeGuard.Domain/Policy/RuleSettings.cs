namespace PrescribeGuard.Domain.Policy;

/// <summary>
/// One rule's settings in the policy. <see cref="HomeUseSeverity"/> replaces <see cref="Severity"/>
/// when the rule reports that the request is for home use (e.g. SUBSTANCE_USE_DISORDER).
/// A <see cref="Shadow"/> rule is evaluated and reported but never changes the outcome.
/// </summary>
public sealed record RuleSettings(
    string Code,
    bool Enabled,
    Severity Severity,
    Severity? HomeUseSeverity,
    bool Shadow,
    string Source,
    IReadOnlyDictionary<string, double> Parameters)
{
    public double Parameter(string name) =>
        Parameters.TryGetValue(name, out var value)
            ? value
            : throw new KeyNotFoundException($"rule {Code} has no parameter '{name}'");

    public int IntParameter(string name) => (int)Parameter(name);

    public TimeSpan Days(string name) => TimeSpan.FromDays(Parameter(name));
}
