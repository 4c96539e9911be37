using PrescribeGuard.Domain.Policy;
using static System.Globalization.CultureInfo;

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
        var minOtherPrescribers = settings.IntParameter(MinOtherPrescribers);
        var minPharmacies = settings.IntParameter(MinPharmacies);
        if (window.OtherPrescribers < minOtherPrescribers && window.Pharmacies < minPharmacies)
        {
            return null;
        }

        return RuleHit.Deferred(
            new Counts(window.OtherPrescribers, window.Pharmacies, settings.Parameter(WindowDays), minOtherPrescribers, minPharmacies),
            static c => string.Create(InvariantCulture, $"{c.OtherPrescribers} other prescribers and {c.Pharmacies} pharmacies within {c.WindowDays:0.##} days"),
            static c => string.Create(InvariantCulture, $"In the last {c.WindowDays:0.##} days, counting this request, the patient saw {c.OtherPrescribers} other prescriber(s) (signal at {c.MinOtherPrescribers}) and {c.Pharmacies} pharmacy(ies) (signal at {c.MinPharmacies})."),
            window.Evidence(context));
    }

    private readonly record struct Counts(int OtherPrescribers, int Pharmacies, double WindowDays, int MinOtherPrescribers, int MinPharmacies);
}
