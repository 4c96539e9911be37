using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Cache.Tests;

/// <summary>Histories that use every field, present and absent.</summary>
public static class Histories
{
    private static readonly DateTimeOffset At = new(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero);

    public static PatientKey NewPatient() => new(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()));

    public static Medication Troches() => new(DrugClass.Ketamine, Compounded: true, Route.Sublingual, AdministrationSetting.HomeUse, 200, 2400.5, 30, 2);

    public static PatientHistory Full() => new(
        [
            new PrescriptionEntry("platform-a", "rx-1", "1234567893", Troches(), At.AddDays(-20), Imported: false),
            new PrescriptionEntry("platform-b", "rx-ü", "1245319599", new Medication(DrugClass.Esketamine, false, Route.Intranasal, AdministrationSetting.ClinicAdministered, 56, 84, 1, 0), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5)), Imported: true),
        ],
        [
            new DispenseEntry("platform-a", "fill-0", "rx-1", "1234567", At.AddDays(-19), 0, 1200.25, 15),
            new DispenseEntry("platform-a", "fill-1", "rx-1", "7654321", At.AddDays(-4), 1, 1200.25, 15),
        ],
        [
            new EncounterEntry("platform-a", "enc-1", "1234567893", EncounterKind.SupervisedAdministration, At.AddDays(-21), "NY", 150,
                new BloodPressure(124, 80, At.AddDays(-21).AddMinutes(5)), Troches()),
            new EncounterEntry("platform-c", "enc-2", "1245319599", EncounterKind.InPersonEvaluation, At.AddDays(-30), "NJ", 0, null, null),
        ],
        [
            new ReservationEntry("platform-b", "dec_01", "1234567893", new Medication(DrugClass.Ketamine, false, Route.Intravenous, AdministrationSetting.ClinicAdministered, 35, 35, 1, 0), At, At.AddMinutes(15)),
        ]);

    public static void AssertSame(PatientHistory expected, PatientHistory? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Prescriptions, actual.Prescriptions);
        Assert.Equal(expected.Dispenses, actual.Dispenses);
        Assert.Equal(expected.Encounters, actual.Encounters);
        Assert.Equal(expected.Reservations, actual.Reservations);
        // Record equality compares instants; the offsets survive too.
        Assert.Equal(
            expected.Prescriptions.Select(p => p.IssuedAt.Offset),
            actual.Prescriptions.Select(p => p.IssuedAt.Offset));
    }
}
