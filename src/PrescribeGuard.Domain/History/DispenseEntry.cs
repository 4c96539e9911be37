using PrescribeGuard.Domain.Errors;

namespace PrescribeGuard.Domain.History;

/// <summary>A pharmacy fill (FillNumber 0) or refill of a prescription of the same platform.</summary>
public sealed record DispenseEntry(
    string PlatformId,
    string DispenseId,
    string PrescriptionId,
    string PharmacyId,
    DateTimeOffset DispensedAt,
    int FillNumber,
    double TotalMg,
    int DaysSupply)
{
    /// <summary>
    /// A fill cannot precede its prescription. Dated earlier, it would end the prescription's supply
    /// before it began, and another platform's duplicate would be allowed at once.
    /// </summary>
    public void EnsureNotBefore(DateTimeOffset prescriptionIssuedAt)
    {
        if (DispensedAt < prescriptionIssuedAt - ClockSkew.Tolerance)
        {
            throw GuardException.Precondition("DISPENSED_BEFORE_ISSUE", "dispensed_at is before the prescription was issued");
        }
    }
}
