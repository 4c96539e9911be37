namespace PrescribeGuard.Domain.History;

/// <summary>Everything the guard has been told about one person, by any platform.</summary>
public sealed record PatientHistory(
    IReadOnlyList<PrescriptionEntry> Prescriptions,
    IReadOnlyList<DispenseEntry> Dispenses,
    IReadOnlyList<EncounterEntry> Encounters,
    IReadOnlyList<ReservationEntry> Reservations)
{
    public static readonly PatientHistory Empty = new([], [], [], []);
}
