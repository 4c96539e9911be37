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

        // The check is immutable, so its state and authorised states can be read when the text is.
        return RuleHit.Deferred(
            (State: state, Authorized: authorized),
            static _ => "Prescriber is not authorized in the state where the patient is located",
            static d => $"The patient is located in {d.State}; the prescriber reports a licence and registration for {StateList(d.Authorized)}.");
    }

    private static string StateList(IReadOnlySet<string> authorized) =>
        authorized.Count == 0 ? "no state" : string.Join(", ", authorized.Order(StringComparer.Ordinal));
}
