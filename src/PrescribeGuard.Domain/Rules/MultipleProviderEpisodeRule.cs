using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

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
        if (window.Prescribers < minPrescribers || window.Pharmacies < minPharmacies)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Counts(window.Prescribers, window.Pharmacies, settings.Parameter(WindowDays), minPrescribers, minPharmacies),
            static c => string.Create(InvariantCulture, $"{c.Prescribers} prescribers and {c.Pharmacies} pharmacies within {c.WindowDays:0.##} days"),
            static c => string.Create(InvariantCulture, $"Counting this request, {c.Prescribers} prescribers and {c.Pharmacies} pharmacies of controlled substances in the last {c.WindowDays:0.##} days reach the multiple-provider threshold of {c.MinPrescribers} and {c.MinPharmacies}."),
            window.Evidence(context));
    }

    private readonly record struct Counts(int Prescribers, int Pharmacies, double WindowDays, int MinPrescribers, int MinPharmacies);
}
