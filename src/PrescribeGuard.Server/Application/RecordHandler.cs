using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Mapping;
using PrescribeGuard.Server.Validation;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Application;

/// <summary>
/// Keeps the history true: what platforms issued, what pharmacies dispensed, which encounters
/// happened, and which decisions will not be used. Each write is idempotent on the caller's id.
/// </summary>
public sealed class RecordHandler(
    IGuardLedger ledger,
    PatientKeyDeriver keys,
    TimeProvider time,
    ILogger<RecordHandler> logger)
{
    private FieldViolations Violations(DateTimeOffset now) => new(now, ClockSkew.Tolerance);

    private PatientKey KeyOf(Patient patient, DateOnly birthDate) => keys.Derive(patient.FamilyName, patient.GivenName, birthDate);

    public async Task<RecordPrescriptionResponse> PrescriptionAsync(RecordPrescriptionRequest request, string platformId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var validated = Violations(now).Record(request);
        var patientKey = KeyOf(request.Patient, validated.BirthDate);
        var entry = new PrescriptionEntry(
            platformId,
            request.PrescriptionId,
            request.Prescriber.Npi,
            ToDomain.Medication(request.Medication),
            request.IssuedAt.ToDateTimeOffset(),
            request.HistoricalImport);
        var stored = new StoredPrescription(
            patientKey,
            request.Patient.PlatformPatientId,
            entry,
            request.Prescriber.DeaNumber,
            request.DecisionId.Length > 0 ? request.DecisionId : null,
            request.OverrideReasonCode.Length > 0 ? request.OverrideReasonCode : null,
            request.OverrideComment.Length > 0 ? request.OverrideComment : null,
            Fingerprint.Of(request, r => r.Patient, patientKey));
        var result = await ledger.RecordPrescriptionAsync(stored, now, cancellationToken);
        logger.LogInformation(
            "prescription recorded platform {PlatformId} decision {DecisionId} imported {Imported} result {Result}",
            platformId,
            stored.DecisionId,
            entry.Imported,
            result);
        return new RecordPrescriptionResponse { PrescriptionId = request.PrescriptionId, Created = result == WriteResult.Created };
    }

    public async Task<ReleaseDecisionResponse> ReleaseAsync(ReleaseDecisionRequest request, string platformId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Violations(now).Release(request);
        var result = await ledger.ReleaseDecisionAsync(platformId, request.DecisionId, now, cancellationToken);
        logger.LogInformation("decision {DecisionId} platform {PlatformId} released {Released}", request.DecisionId, platformId, result.Released);
        return new ReleaseDecisionResponse { DecisionId = request.DecisionId, Released = result.Released };
    }

    public async Task<RecordDispenseResponse> DispenseAsync(RecordDispenseRequest request, string platformId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var validated = Violations(now).Dispense(request);
        var patientKey = KeyOf(request.Patient, validated.BirthDate);
        var entry = new DispenseEntry(
            platformId,
            request.DispenseId,
            request.PrescriptionId,
            validated.PharmacyId!,
            request.DispensedAt.ToDateTimeOffset(),
            request.FillNumber,
            request.TotalMg,
            request.DaysSupply);
        var result = await ledger.RecordDispenseAsync(
            new StoredDispense(patientKey, request.Patient.PlatformPatientId, entry, Fingerprint.Of(request, r => r.Patient, patientKey)),
            cancellationToken);
        logger.LogInformation("dispense recorded platform {PlatformId} fill {FillNumber} result {Result}", platformId, entry.FillNumber, result);
        return new RecordDispenseResponse { DispenseId = request.DispenseId, Created = result == WriteResult.Created };
    }

    public async Task<RecordEncounterResponse> EncounterAsync(RecordEncounterRequest request, string platformId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var validated = Violations(now).Encounter(request);
        var patientKey = KeyOf(request.Patient, validated.BirthDate);
        var entry = new EncounterEntry(
            platformId,
            request.EncounterId,
            request.Clinician.Npi,
            ToDomain.EncounterKind(request.Kind),
            request.OccurredAt.ToDateTimeOffset(),
            request.LocationState,
            request.MonitoringMinutes,
            ToDomain.BloodPressure(request.BloodPressure),
            request.Medication is null ? null : ToDomain.Medication(request.Medication));
        var result = await ledger.RecordEncounterAsync(
            new StoredEncounter(patientKey, request.Patient.PlatformPatientId, entry, Fingerprint.Of(request, r => r.Patient, patientKey)),
            cancellationToken);
        logger.LogInformation("encounter recorded platform {PlatformId} kind {Kind} result {Result}", platformId, entry.Kind, result);
        return new RecordEncounterResponse { EncounterId = request.EncounterId, Created = result == WriteResult.Created };
    }

    /// <summary>Looks up a decision of <paramref name="platformId"/>, or of any platform when it is null (auditors).</summary>
    public async Task<Decision> GetDecisionAsync(GetDecisionRequest request, string? platformId, CancellationToken cancellationToken)
    {
        Violations(time.GetUtcNow()).Get(request);
        var record = await ledger.GetDecisionAsync(request.DecisionId, cancellationToken);
        if (record is null || (platformId is not null && record.PlatformId != platformId))
        {
            // Another platform's decision is indistinguishable from none at all.
            throw GuardException.DecisionNotFound();
        }

        return Decision.Parser.ParseFrom(record.Payload);
    }
}
