using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Rules;

/// <summary>A prescriber needs a licence and DEA registration in the state where the patient is located.</summary>
public sealed class PrescriberNotAuthorizedInStateRule : IRule
{
    public string Code => "PRESCRIBER_NOT_AUTHORIZED_IN_STATE";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var state = context.Check.Patient.LocationState;
        var authorized = context.Check.Prescriber.AuthorizedStates;
        if (authorized.Contains(state))
        {
            return null;
        }

        var list = authorized.Count == 0 ? "no state" : string.Join(", ", authorized.Order(StringComparer.Ordinal));
        return RuleHit.Of(
            "Prescriber is not authorized in the state where the patient is located",
            $"The patient is located in {state}; the prescriber reports a licence and registration for {list}.");
    }
}
