using System.Data.Common;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;

namespace PrescribeGuard.Ledger.Sql;

public sealed partial class SqlGuardLedger
{
    /// <summary>
    /// The state is a literal, not a parameter: only then can either engine match the query to the
    /// partial index ix_decisions_pending_only (WHERE reservation_state = 1; a test holds the two together).
    /// </summary>
    internal static readonly string PendingReservationsSql =
        "SELECT platform_id, decision_id, reservation_prescriber_npi, evaluated_at, reservation_expires_at, " + MedicationColumns.List("res_") +
        " FROM decisions WHERE patient_key = @patient_key AND reservation_state = " + (int)ReservationState.Pending +
        " ORDER BY evaluated_at";

    /// <summary>The four parts of a history, as one command: one round trip to a server ledger.</summary>
    private static readonly string HistorySql =
        "SELECT platform_id, prescription_id, prescriber_npi, issued_at, imported, " + MedicationColumns.List(string.Empty) +
        " FROM prescriptions WHERE patient_key = @patient_key ORDER BY issued_at;\n" +
        "SELECT platform_id, dispense_id, prescription_id, pharmacy_id, dispensed_at, fill_number, total_mg, days_supply " +
        "FROM dispenses WHERE patient_key = @patient_key ORDER BY dispensed_at;\n" +
        "SELECT platform_id, encounter_id, clinician_npi, kind, occurred_at, location_state, monitoring_minutes, " +
        "bp_systolic, bp_diastolic, bp_measured_at, " + MedicationColumns.List("med_") +
        " FROM encounters WHERE patient_key = @patient_key ORDER BY occurred_at;\n" +
        PendingReservationsSql;

    private static async Task<PatientHistory> ReadHistoryAsync(
        DbConnection connection, DbTransaction transaction, PatientKey patientKey, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, HistorySql).With("@patient_key", patientKey.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadHistoryAsync(reader, cancellationToken);
    }

    /// <summary>The four result sets of <see cref="HistorySql"/>, from the reader's current one on.</summary>
    private static async Task<PatientHistory> ReadHistoryAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var prescriptions = await ReadAllAsync(
            reader,
            row => new PrescriptionEntry(
                row.GetString(0),
                row.GetString(1),
                row.GetString(2),
                row.ReadMedication(5)!,
                row.GetTime(3),
                row.GetFlag(4)),
            cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var dispenses = await ReadAllAsync(
            reader,
            row => new DispenseEntry(
                row.GetString(0),
                row.GetString(1),
                row.GetString(2),
                row.GetString(3),
                row.GetTime(4),
                row.GetInt(5),
                row.GetDouble(6),
                row.GetInt(7)),
            cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var encounters = await ReadAllAsync(
            reader,
            row => new EncounterEntry(
                row.GetString(0),
                row.GetString(1),
                row.GetString(2),
                (EncounterKind)row.GetInt64(3),
                row.GetTime(4),
                row.GetString(5),
                row.GetInt(6),
                row.IsDBNull(7) ? null : new BloodPressure(reader.GetInt(7), reader.GetInt(8), reader.GetTime(9)),
                row.ReadMedication(10)),
            cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var reservations = await ReadAllAsync(
            reader,
            row => new ReservationEntry(
                row.GetString(0),
                row.GetString(1),
                row.GetString(2),
                row.ReadMedication(5)!,
                row.GetTime(3),
                row.GetTime(4)),
            cancellationToken);
        return new PatientHistory(prescriptions, dispenses, encounters, reservations);
    }

    /// <summary>The rows of the reader's current result set.</summary>
    private static async Task<IReadOnlyList<T>> ReadAllAsync<T>(DbDataReader reader, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
