using System.Security.Cryptography;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>
/// Records to write: every id and patient is new, so tests can share one store; numbers have
/// fractions and enums are not their first value, so a column mixed up or truncated shows.
/// </summary>
internal static class LedgerData
{
    public const string PlatformA = "platform-a";
    public const string PlatformB = "platform-b";
    public const string PrescriberNpi = "1234567893";
    public static readonly TimeSpan ReservationTtl = TimeSpan.FromMinutes(15);

    /// <summary>Whole milliseconds: the ledger keeps Unix milliseconds.</summary>
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public static Medication Troches { get; } = new(DrugClass.Ketamine, true, Route.Sublingual, AdministrationSetting.HomeUse, 112.5, 1350.25, 30, 2);

    public static Medication Nasal { get; } = new(DrugClass.Esketamine, false, Route.Intranasal, AdministrationSetting.ClinicAdministered, 56, 84.75, 1, 0);

    public static PatientKey NewPatient() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public static DecideRequest Request(PatientKey patient, string? requestId = null, string fingerprint = "check-fp-1", string platformId = PlatformA) =>
        new(platformId, requestId ?? NewId("req"), fingerprint, patient);

    /// <summary>An ALLOW that reserves, or (reserve: false) a DENY that does not.</summary>
    public static DecisionRecord Decision(DecideRequest request, DateTimeOffset evaluatedAt, bool reserve, Medication? medication = null)
    {
        var decisionId = NewId("dec");
        var reservation = reserve
            ? new ReservationEntry(request.PlatformId, decisionId, PrescriberNpi, medication ?? Troches, evaluatedAt, evaluatedAt + ReservationTtl)
            : null;
        return new DecisionRecord(
            decisionId,
            request.PlatformId,
            request.RequestId,
            request.RequestFingerprint,
            request.PatientKey,
            reserve ? Outcome.Allow : Outcome.Deny,
            false,
            "sha256:0123abcd",
            evaluatedAt,
            reservation,
            reserve ? ReservationState.Pending : ReservationState.None,
            null,
            [0x00, 0xFF, 0x0A, .. System.Text.Encoding.UTF8.GetBytes(decisionId), 0x00]);
    }

    public static StoredPrescription Prescription(
        PatientKey patient,
        string prescriptionId,
        DateTimeOffset issuedAt,
        string? decisionId = null,
        bool imported = false,
        Medication? medication = null,
        string fingerprint = "rx-fp-1",
        string platformId = PlatformA) =>
        new(
            patient,
            "pt-77",
            new PrescriptionEntry(platformId, prescriptionId, PrescriberNpi, medication ?? Troches, issuedAt, imported),
            "AB1234563",
            decisionId,
            null,
            null,
            fingerprint);

    public static StoredDispense Dispense(
        PatientKey patient, string prescriptionId, string dispenseId, DateTimeOffset at, int fillNumber = 0, string fingerprint = "dispense-fp-1") =>
        new(patient, "pt-77", new DispenseEntry(PlatformA, dispenseId, prescriptionId, "1234567", at, fillNumber, 1350.25, 30), fingerprint);

    public static StoredEncounter Encounter(
        PatientKey patient, string encounterId, DateTimeOffset at, BloodPressure? bloodPressure, Medication? medication, string fingerprint = "encounter-fp-1") =>
        new(
            patient,
            "pt-77",
            new EncounterEntry(
                PlatformB,
                encounterId,
                "1245319599",
                medication is null ? EncounterKind.InPersonEvaluation : EncounterKind.SupervisedAdministration,
                at,
                "NJ",
                medication is null ? 0 : 125,
                bloodPressure,
                medication),
            fingerprint);

    public static async Task<GuardException> FailsWith(GuardErrorKind kind, string reason, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<GuardException>(call);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(reason, ex.Reason);
        return ex;
    }
}
