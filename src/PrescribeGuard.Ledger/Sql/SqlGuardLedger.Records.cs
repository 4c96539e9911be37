using System.Data.Common;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

public sealed partial class SqlGuardLedger
{
    public async Task<WriteResult> RecordPrescriptionAsync(StoredPrescription prescription, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (result, refusal) = await RecordPrescriptionOrExpireAsync(prescription, now, cancellationToken);
        return refusal is null ? result : throw refusal;
    }

    /// <summary>
    /// Records the prescription, or, when its reservation is found expired, marks the reservation
    /// expired in the same transaction and returns the refusal to throw once that is committed.
    /// </summary>
    private Task<(WriteResult Result, GuardException? Refusal)> RecordPrescriptionOrExpireAsync(StoredPrescription prescription, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Refused before the transaction begins: nothing is sent for a record the audit could not name.
        var recordId = ReportRecordId.Of(prescription.Entry.PlatformId, prescription.Entry.PrescriptionId);
        return InHistoryWriteAsync<(WriteResult, GuardException?)>(prescription.PatientKey, async (connection, transaction) =>
        {
            var entry = prescription.Entry;
            if (await RepeatOfAsync(connection, transaction, "prescriptions", "prescription_id", entry.PlatformId, entry.PrescriptionId, prescription.Fingerprint, "PRESCRIPTION_ID_REUSED", cancellationToken) is { } repeat)
            {
                return ((repeat, null), false);
            }

            if (prescription.DecisionId is { } decisionId)
            {
                // Expiry is judged now that the patient is locked, not when the request arrived: a
                // confirmation that waited for the lock past its reservation's expiry may come after
                // another platform's check that found it expired and was allowed in its place. The
                // later of the two times, so that a caller's clock ahead of this one still counts.
                var clock = _time.GetUtcNow();
                var lockedAt = clock > now ? clock : now;
                var decision = await FindDecisionAsync(connection, transaction, decisionId, cancellationToken);
                try
                {
                    ReservationConfirmation.EnsureConfirmable(
                        decision?.Standing, entry.PlatformId, prescription.PatientKey.Value, entry, prescription.OverrideReasonCode, lockedAt);
                }
                catch (GuardException expired) when (expired.Reason == ReservationConfirmation.ExpiredReason && decision?.ReservationState == ReservationState.Pending)
                {
                    // Found expired here, it is over everywhere: checks hold a reservation for the
                    // clock tolerance past its expiry because a slower instance might still confirm it;
                    // once final, none can, and the platform's own "check again" is not denied by it.
                    // Audited as a release is: a state freed unaudited would be a way to free a patient by editing the store.
                    var expire = connection.Command(
                            transaction, Audited(dialect, "UPDATE decisions SET reservation_state = @state, released_at = @now WHERE decision_id = @decision_id"))
                        .With("@state", (long)ReservationState.Expired)
                        .With("@now", lockedAt)
                        .With("@decision_id", decisionId);
                    await WithAuditLink(expire, prescription.PatientKey, AuditKind.Release, decisionId, ReleaseContent(decisionId, lockedAt.ToUnixTimeMilliseconds()))
                        .ExecuteNonQueryAsync(cancellationToken);
                    return ((WriteResult.Unchanged, expired), true);
                }

                await connection.Command(
                        transaction,
                        "UPDATE decisions SET reservation_state = @state, confirmed_prescription_id = @prescription_id WHERE decision_id = @decision_id")
                    .With("@state", (long)ReservationState.Confirmed)
                    .With("@prescription_id", entry.PrescriptionId)
                    .With("@decision_id", decisionId)
                    .ExecuteNonQueryAsync(cancellationToken);
            }

            var sql =
                "INSERT INTO prescriptions (platform_id, prescription_id, patient_key, platform_patient_id, prescriber_npi, prescriber_dea, " +
                MedicationColumns.List(string.Empty) + ", issued_at, imported, decision_id, override_reason_code, override_comment, fingerprint, recorded_at) " +
                "VALUES (@platform_id, @prescription_id, @patient_key, @platform_patient_id, @prescriber_npi, @prescriber_dea, " +
                MedicationColumns.Parameters(string.Empty) + ", @issued_at, @imported, @decision_id, @override_reason_code, @override_comment, @fingerprint, @recorded_at)";
            var command = connection.Command(transaction, Audited(dialect, sql))
                .With("@platform_id", entry.PlatformId)
                .With("@prescription_id", entry.PrescriptionId)
                .With("@patient_key", prescription.PatientKey.Value)
                .With("@platform_patient_id", prescription.PlatformPatientId)
                .With("@prescriber_npi", entry.PrescriberNpi)
                .With("@prescriber_dea", prescription.PrescriberDea)
                .WithMedication(string.Empty, entry.Medication)
                .With("@issued_at", entry.IssuedAt)
                .With("@imported", entry.Imported)
                .With("@decision_id", prescription.DecisionId)
                .With("@override_reason_code", prescription.OverrideReasonCode)
                .With("@override_comment", prescription.OverrideComment)
                .With("@fingerprint", prescription.Fingerprint)
                .With("@recorded_at", now);
            await WithAuditLink(
                    command,
                    prescription.PatientKey,
                    AuditKind.Prescription,
                    recordId,
                    PrescriptionContent(prescription, entry.IssuedAt.ToUnixTimeMilliseconds()))
                .ExecuteNonQueryAsync(cancellationToken);
            return ((WriteResult.Created, null), true);
        }, cancellationToken);
    }

    public async Task<ReleaseResult> ReleaseDecisionAsync(string platformId, string decisionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The patient is known only from the decision itself; it is read again under that patient's lock.
        var located = await GetDecisionAsync(decisionId, cancellationToken);
        if (located is null || located.PlatformId != platformId)
        {
            throw GuardException.DecisionNotFound();
        }

        return await InHistoryWriteAsync(located.PatientKey, async (connection, transaction) =>
        {
            var decision = await FindDecisionAsync(connection, transaction, decisionId, cancellationToken)
                ?? throw GuardException.DecisionNotFound();
            switch (decision.ReservationState)
            {
                case ReservationState.Confirmed:
                    throw GuardException.Precondition("RESERVATION_ALREADY_CONFIRMED", "the prescription of this decision was already recorded");
                // Up to the clock tolerance past its expiry a reservation still holds the patient (a slower
                // instance may confirm it): releasing it then frees the patient at once.
                case ReservationState.Pending when decision.Reservation is { } reservation && reservation.ExpiresAt + ClockSkew.Tolerance > now:
                    var release = connection.Command(
                            transaction, Audited(dialect, "UPDATE decisions SET reservation_state = @state, released_at = @now WHERE decision_id = @decision_id"))
                        .With("@state", (long)ReservationState.Released)
                        .With("@now", now)
                        .With("@decision_id", decisionId);
                    await WithAuditLink(release, decision.PatientKey, AuditKind.Release, decisionId, ReleaseContent(decisionId, now.ToUnixTimeMilliseconds()))
                        .ExecuteNonQueryAsync(cancellationToken);
                    return (new ReleaseResult(true, decision.PatientKey), true);
                default:
                    return (new ReleaseResult(false, decision.PatientKey), false);
            }
        }, cancellationToken);
    }

    public Task<WriteResult> RecordDispenseAsync(StoredDispense dispense, CancellationToken cancellationToken)
    {
        // Refused before the transaction begins: nothing is sent for a record the audit could not name.
        var recordId = ReportRecordId.Of(dispense.Entry.PlatformId, dispense.Entry.DispenseId);
        return InHistoryWriteAsync(dispense.PatientKey, async (connection, transaction) =>
        {
            var entry = dispense.Entry;
            if (await RepeatOfAsync(connection, transaction, "dispenses", "dispense_id", entry.PlatformId, entry.DispenseId, dispense.Fingerprint, "DISPENSE_ID_REUSED", cancellationToken) is { } repeat)
            {
                return (repeat, false);
            }

            var (ownerKey, issuedAt) = await PrescriptionOwnerAsync(connection, transaction, entry, cancellationToken)
                ?? throw GuardException.Precondition("PRESCRIPTION_NOT_FOUND", "record the prescription before its dispenses");
            if (ownerKey != dispense.PatientKey.Value)
            {
                throw GuardException.Precondition("PRESCRIPTION_PATIENT_MISMATCH", "the prescription was recorded for a different patient");
            }

            entry.EnsureNotBefore(issuedAt);

            var command = connection.Command(
                    transaction,
                    Audited(
                        dialect,
                        "INSERT INTO dispenses (platform_id, dispense_id, prescription_id, patient_key, platform_patient_id, pharmacy_id, dispensed_at, " +
                        "fill_number, total_mg, days_supply, fingerprint, recorded_at) VALUES (@platform_id, @dispense_id, @prescription_id, @patient_key, " +
                        "@platform_patient_id, @pharmacy_id, @dispensed_at, @fill_number, @total_mg, @days_supply, @fingerprint, @recorded_at)"))
                .With("@platform_id", entry.PlatformId)
                .With("@dispense_id", entry.DispenseId)
                .With("@prescription_id", entry.PrescriptionId)
                .With("@patient_key", dispense.PatientKey.Value)
                .With("@platform_patient_id", dispense.PlatformPatientId)
                .With("@pharmacy_id", entry.PharmacyId)
                .With("@dispensed_at", entry.DispensedAt)
                .With("@fill_number", entry.FillNumber)
                .With("@total_mg", entry.TotalMg)
                .With("@days_supply", entry.DaysSupply)
                .With("@fingerprint", dispense.Fingerprint)
                .With("@recorded_at", DateTimeOffset.UtcNow);
            await WithAuditLink(command, dispense.PatientKey, AuditKind.Dispense, recordId, DispenseContent(dispense))
                .ExecuteNonQueryAsync(cancellationToken);
            return (WriteResult.Created, true);
        }, cancellationToken);
    }

    /// <summary>The patient and issue time of the platform's prescription a dispense names, if recorded.</summary>
    private static async Task<(string PatientKey, DateTimeOffset IssuedAt)?> PrescriptionOwnerAsync(
        DbConnection connection, DbTransaction transaction, DispenseEntry entry, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
                transaction, "SELECT patient_key, issued_at FROM prescriptions WHERE platform_id = @platform_id AND prescription_id = @prescription_id")
            .With("@platform_id", entry.PlatformId)
            .With("@prescription_id", entry.PrescriptionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetTime(1)) : null;
    }

    public Task<WriteResult> RecordEncounterAsync(StoredEncounter encounter, CancellationToken cancellationToken)
    {
        // Refused before the transaction begins: nothing is sent for a record the audit could not name.
        var recordId = ReportRecordId.Of(encounter.Entry.PlatformId, encounter.Entry.EncounterId);
        return InHistoryWriteAsync(encounter.PatientKey, async (connection, transaction) =>
        {
            var entry = encounter.Entry;
            if (await RepeatOfAsync(connection, transaction, "encounters", "encounter_id", entry.PlatformId, entry.EncounterId, encounter.Fingerprint, "ENCOUNTER_ID_REUSED", cancellationToken) is { } repeat)
            {
                return (repeat, false);
            }

            var command = connection.Command(
                    transaction,
                    Audited(
                        dialect,
                        "INSERT INTO encounters (platform_id, encounter_id, patient_key, platform_patient_id, clinician_npi, kind, occurred_at, " +
                        "location_state, monitoring_minutes, bp_systolic, bp_diastolic, bp_measured_at, " + MedicationColumns.List("med_") +
                        ", fingerprint, recorded_at) VALUES (@platform_id, @encounter_id, @patient_key, @platform_patient_id, @clinician_npi, @kind, " +
                        "@occurred_at, @location_state, @monitoring_minutes, @bp_systolic, @bp_diastolic, @bp_measured_at, " +
                        MedicationColumns.Parameters("med_") + ", @fingerprint, @recorded_at)"))
                .With("@platform_id", entry.PlatformId)
                .With("@encounter_id", entry.EncounterId)
                .With("@patient_key", encounter.PatientKey.Value)
                .With("@platform_patient_id", encounter.PlatformPatientId)
                .With("@clinician_npi", entry.ClinicianNpi)
                .With("@kind", (long)entry.Kind)
                .With("@occurred_at", entry.OccurredAt)
                .With("@location_state", entry.LocationState)
                .With("@monitoring_minutes", entry.MonitoringMinutes)
                .With("@bp_systolic", entry.BloodPressure?.Systolic)
                .With("@bp_diastolic", entry.BloodPressure?.Diastolic)
                .With("@bp_measured_at", entry.BloodPressure?.MeasuredAt)
                .WithMedication("med_", entry.Medication)
                .With("@fingerprint", encounter.Fingerprint)
                .With("@recorded_at", DateTimeOffset.UtcNow);
            await WithAuditLink(command, encounter.PatientKey, AuditKind.Encounter, recordId, EncounterContent(encounter))
                .ExecuteNonQueryAsync(cancellationToken);
            return (WriteResult.Created, true);
        }, cancellationToken);
    }

    /// <summary>
    /// The result of writing a record whose id is already on record: Unchanged for the same content,
    /// ALREADY_EXISTS for other content; null when the id is new.
    /// </summary>
    private static async Task<WriteResult?> RepeatOfAsync(
        DbConnection connection,
        DbTransaction transaction,
        string table,
        string idColumn,
        string platformId,
        string id,
        string fingerprint,
        string reason,
        CancellationToken cancellationToken)
    {
        var existing = await connection.Command(transaction, $"SELECT fingerprint FROM {table} WHERE platform_id = @platform_id AND {idColumn} = @id")
            .With("@platform_id", platformId)
            .With("@id", id)
            .ExecuteScalarAsync(cancellationToken);
        return existing switch
        {
            null or DBNull => null,
            string stored when stored == fingerprint => WriteResult.Unchanged,
            _ => throw GuardException.AlreadyExists(reason, $"this {idColumn} is already on record with different content"),
        };
    }
}
