using System.Data.Common;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;

namespace PrescribeGuard.Ledger.Sql;

public sealed partial class SqlGuardLedger
{
    private static async Task<PatientHistory> ReadHistoryAsync(
        DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken)
    {
        var prescriptions = await ReadAllAsync(
            connection.Command(
                transaction,
                "SELECT platform_id, prescription_id, prescriber_npi, issued_at, imported, " + MedicationColumns.List(string.Empty) +
                " FROM prescriptions WHERE patient_key = @patient_key ORDER BY issued_at"),
            patientKey,
            reader => new PrescriptionEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.ReadMedication(5)!,
                reader.GetTime(3),
                reader.GetFlag(4)),
            cancellationToken);
        var dispenses = await ReadAllAsync(
            connection.Command(
                transaction,
                "SELECT platform_id, dispense_id, prescription_id, pharmacy_id, dispensed_at, fill_number, total_mg, days_supply " +
                "FROM dispenses WHERE patient_key = @patient_key ORDER BY dispensed_at"),
            patientKey,
            reader => new DispenseEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetTime(4),
                reader.GetInt(5),
                reader.GetDouble(6),
                reader.GetInt(7)),
            cancellationToken);
        var encounters = await ReadAllAsync(
            connection.Command(
                transaction,
                "SELECT platform_id, encounter_id, clinician_npi, kind, occurred_at, location_state, monitoring_minutes, " +
                "bp_systolic, bp_diastolic, bp_measured_at, " + MedicationColumns.List("med_") +
                " FROM encounters WHERE patient_key = @patient_key ORDER BY occurred_at"),
            patientKey,
            reader => new EncounterEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                (EncounterKind)reader.GetInt64(3),
                reader.GetTime(4),
                reader.GetString(5),
                reader.GetInt(6),
                reader.IsDBNull(7) ? null : new BloodPressure(reader.GetInt(7), reader.GetInt(8), reader.GetTime(9)),
                reader.ReadMedication(10)),
            cancellationToken);
        var reservations = await ReadAllAsync(
            connection.Command(
                transaction,
                "SELECT platform_id, decision_id, reservation_prescriber_npi, evaluated_at, reservation_expires_at, " + MedicationColumns.List("res_") +
                " FROM decisions WHERE patient_key = @patient_key AND reservation_state = " + (int)ReservationState.Pending +
                " ORDER BY evaluated_at"),
            patientKey,
            reader => new ReservationEntry(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.ReadMedication(5)!,
                reader.GetTime(3),
                reader.GetTime(4)),
            cancellationToken);
        return new PatientHistory(prescriptions, dispenses, encounters, reservations);
    }

    private static async Task<IReadOnlyList<T>> ReadAllAsync<T>(
        DbCommand command, PatientKey patientKey, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        await using (command)
        {
            command.With("@patient_key", patientKey.Value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
    }
}
