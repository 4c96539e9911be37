using PrescribeGuard.Domain.Policy;
using static System.FormattableString;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Many prescribers and many pharmacies in a short window is the classic doctor-shopping episode.</summary>
public sealed class MultipleProviderEpisodeRule : IRule
{
    private const string WindowDays = "windowDays";
    private const string MinPrescribers = "minPrescribers";
    private const string MinPharmacies = "minPharmacies";

    public string Code => "MULTIPLE_PROVIDER_EPISODE";

    public IReadOnlyList<RuleParameter> Parameters { get; } =
        [new(WindowDays, 1, 365), new(MinPrescribers, 2, 100), new(MinPharmacies, 1, 100)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var window = context.ProviderWindowOf(settings.Days(WindowDays));
        var minPrescribers = settings.IntParameter(MinPrescribers);
        var minPharmacies = settings.IntParameter(MinPharmacies);
        if (window.Prescribers.Count < minPrescribers || window.Pharmacies.Count < minPharmacies)
        {
            return null;
        }

        var windowDays = settings.Parameter(WindowDays);
        return new RuleHit(
            Invariant($"{window.Prescribers.Count} prescribers and {window.Pharmacies.Count} pharmacies within {windowDays:0.##} days"),
            Invariant($"Counting this request, {window.Prescribers.Count} prescribers and {window.Pharmacies.Count} pharmacies of controlled substances in the last {windowDays:0.##} days reach the multiple-provider threshold of {minPrescribers} and {minPharmacies}."),
            window.Evidence());
    }
}
