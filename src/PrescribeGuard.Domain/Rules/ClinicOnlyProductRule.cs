using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>IV or IM ketamine, and esketamine, are given in a certified setting, never at home.</summary>
public sealed class ClinicOnlyProductRule : IRule
{
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

        return medication.Route is Route.Intravenous or Route.Intramuscular
            ? RuleHit.Of(
                $"{medication.Route} ketamine is clinic-only",
                "Intravenous and intramuscular ketamine need clinic monitoring of blood pressure and breathing; they are never given at home.")
            : null;
    }
}
