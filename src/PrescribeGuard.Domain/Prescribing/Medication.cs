namespace PrescribeGuard.Domain.Prescribing;

/// <summary>What is prescribed, dispensed or administered.</summary>
public sealed record Medication(
    DrugClass DrugClass,
    bool Compounded,
    Route Route,
    AdministrationSetting Setting,
    double DoseMg,
    double TotalMg,
    int DaysSupply,
    int RefillsAuthorized)
{
    public bool IsHomeUse => Setting == AdministrationSetting.HomeUse;
}
