using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>An earlier, looser doctor-shopping signal: several other prescribers or several pharmacies.</summary>
public sealed class MultipleProvidersRule : IRule
{
    private const string WindowDays = "windowDays";
    private const string MinOtherPrescribers = "minOtherPrescribers";
    private const string MinPharmacies = "minPharmacies";

    public string Code => "MULTIPLE_PROVIDERS";

    public IReadOnlyList<RuleParameter> Parameters { get; } =
        [new(WindowDays, 1, 365), new(MinOtherPrescribers, 1, 100), new(MinPharmacies, 1, 100)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var window = context.ProviderWindowOf(settings.Days(WindowDays));
        var otherPrescribers = window.Prescribers.Count - (window.Prescribers.Contains(context.Check.Prescriber.Npi) ? 1 : 0);
        var pharmacies = window.Pharmacies.Count;
        var minOtherPrescribers = settings.IntParameter(MinOtherPrescribers);
        var minPharmacies = settings.IntParameter(MinPharmacies);
        if (otherPrescribers < minOtherPrescribers && pharmacies < minPharmacies)
        {
            return null;
        }

        var windowDays = settings.Parameter(WindowDays);
        return new RuleHit(
            Invariant($"{otherPrescribers} other prescribers and {pharmacies} pharmacies within {windowDays:0.##} days"),
            Invariant($"In the last {windowDays:0.##} days, counting this request, the patient saw {otherPrescribers} other prescriber(s) (signal at {minOtherPrescribers}) and {pharmacies} pharmacy(ies) (signal at {minPharmacies})."),
            window.Evidence());
    }
}
