using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;
using static System.FormattableString;

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
                    ? RuleHit.Of(
                        Invariant($"{medication.Route} dose of {medication.DoseMg:0.##} mg is above {maxMg:0.##} mg"),
                        Invariant($"A single {medication.Route.ToString().ToLowerInvariant()} dose of {medication.DoseMg:0.##} mg exceeds the published range, which tops out at {maxMg:0.##} mg."))
                    : null;

            case Route.Intravenous when context.Check.Patient.WeightKg is > 0 and var weightKg:
                var maxMgPerKg = settings.Parameter(MaxIntravenousMgPerKg);
                var mgPerKg = medication.DoseMg / weightKg;
                return mgPerKg > maxMgPerKg + Tolerance
                    ? RuleHit.Of(
                        Invariant($"IV dose of {mgPerKg:0.###} mg/kg is above {maxMgPerKg:0.###} mg/kg"),
                        Invariant($"An intravenous dose of {medication.DoseMg:0.##} mg at {weightKg:0.#} kg is {mgPerKg:0.###} mg/kg, above the usual ceiling of {maxMgPerKg:0.###} mg/kg."))
                    : null;

            default:
                return null;
        }
    }
}
