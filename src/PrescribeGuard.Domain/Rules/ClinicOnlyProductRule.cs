using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>IV or IM ketamine, and esketamine, are given in a certified setting, never at home.</summary>
public sealed class ClinicOnlyProductRule : IRule
{
    private const string NeedsClinic =
        "Intravenous and intramuscular ketamine need clinic monitoring of blood pressure and breathing; they are never given at home.";

    public string Code => "CLINIC_ONLY_PRODUCT";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings)
    {
        var medication = context.Medication;
        if (!medication.IsHomeUse)
        {
            return null;
        }

        if (medication.DrugClass == DrugClass.Esketamine)
        {
            return RuleHit.Of(
                "Esketamine is never dispensed for home use",
                "Esketamine (Spravato) is self-administered only under direct observation in a certified healthcare setting.");
        }

        // One sentence per route, so that no text is formatted per check.
        return medication.Route switch
        {
            Route.Intravenous => RuleHit.Of("Intravenous ketamine is clinic-only", NeedsClinic),
            Route.Intramuscular => RuleHit.Of("Intramuscular ketamine is clinic-only", NeedsClinic),
            _ => null,
        };
    }
}
