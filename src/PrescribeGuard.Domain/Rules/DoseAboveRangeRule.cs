using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.Globalization.CultureInfo;

namespace PrescribeGuard.Domain.Rules;

/// <summary>Single doses beyond the published ranges (oral/sublingual up to 300 mg; IV up to 0.75 mg/kg).</summary>
public sealed class DoseAboveRangeRule : IRule
{
    private const string MaxOralSublingualDoseMg = "maxOralSublingualDoseMg";
    private const string MaxIntravenousMgPerKg = "maxIntravenousMgPerKg";

    // Dose divided by weight lands on the limit with rounding noise (52.5 mg / 70 kg).
    private const double Tolerance = 1e-9;

    public string Code => "DOSE_ABOVE_RANGE";

    public IReadOnlyList<RuleParameter> Parameters { get; } =
        [new(MaxOralSublingualDoseMg, 1, 2000), new(MaxIntravenousMgPerKg, 0.01, 5)];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var medication = context.Medication;
        switch (medication.Route)
        {
            case Route.Oral or Route.Sublingual:
                var maxMg = settings.Parameter(MaxOralSublingualDoseMg);
                return medication.DoseMg > maxMg
                    ? RuleHit.Deferred(
                        (medication.Route, medication.DoseMg, MaxMg: maxMg),
                        static d => string.Create(InvariantCulture, $"{d.Route} dose of {d.DoseMg:0.##} mg is above {d.MaxMg:0.##} mg"),
                        static d => string.Create(InvariantCulture, $"A single {d.Route.ToString().ToLowerInvariant()} dose of {d.DoseMg:0.##} mg exceeds the published range, which tops out at {d.MaxMg:0.##} mg."))
                    : null;

            case Route.Intravenous when context.Check.Patient.WeightKg is > 0 and var weightKg:
                var maxMgPerKg = settings.Parameter(MaxIntravenousMgPerKg);
                var mgPerKg = medication.DoseMg / weightKg;
                return mgPerKg > maxMgPerKg + Tolerance
                    ? RuleHit.Deferred(
                        (medication.DoseMg, WeightKg: weightKg, MgPerKg: mgPerKg, MaxMgPerKg: maxMgPerKg),
                        static d => string.Create(InvariantCulture, $"IV dose of {d.MgPerKg:0.###} mg/kg is above {d.MaxMgPerKg:0.###} mg/kg"),
                        static d => string.Create(InvariantCulture, $"An intravenous dose of {d.DoseMg:0.##} mg at {d.WeightKg:0.#} kg is {d.MgPerKg:0.###} mg/kg, above the usual ceiling of {d.MaxMgPerKg:0.###} mg/kg."))
                    : null;

            default:
                return null;
        }
    }
}
