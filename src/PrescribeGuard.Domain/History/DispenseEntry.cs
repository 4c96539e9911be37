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
    int DaysSupply);
