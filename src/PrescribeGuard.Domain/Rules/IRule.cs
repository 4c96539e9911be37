using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// One default rule of the guard. A rule is pure: it reads the check and the history from the
/// context and its thresholds from its settings, and reports at most one hit.
/// </summary>
public interface IRule
{
    /// <summary>The finding code, as in the domain's rules table.</summary>
    string Code { get; }

    /// <summary>The numeric parameters the policy must give this rule, with their valid ranges.</summary>
    IReadOnlyList<RuleParameter> Parameters { get; }

    /// <summary>
    /// The law whose limit this rule enforces, if any: a policy may then only make it stricter
    /// (its parameters' ranges stop at the law), never turn it off, shadow it or lower its severity.
    /// </summary>
    string? LegalLimit => null;

    RuleHit? Evaluate(RuleContext context, RuleSettings settings);
}

public sealed record RuleParameter(string Name, double Min, double Max);
