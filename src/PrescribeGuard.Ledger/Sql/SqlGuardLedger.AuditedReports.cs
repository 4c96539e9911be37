using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// Dispenses and encounters, reported by pharmacies and clinics, are chained like prescriptions: the
/// rules read them (a supply that ended, an in-person evaluation that happened), so an edited or forged
/// one could let a prescription through. Their audited content is every column but recorded_at, in
/// the store's own representation (texts, integers, reals, nulls), built from the record when written
/// and from the row when verified.
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>A chained report table: its audit kind, its id column, and its audited columns in order, each with how it is read.</summary>
    private sealed record AuditedReport(string Kind, string Table, string IdColumn, (string Column, char Read)[] Columns)
    {
        /// <summary>The audited columns, in order, as a select list.</summary>
        public string ColumnList { get; } = ListOf(Columns);

        public string FindSql { get; } = $"SELECT {ListOf(Columns)} FROM {Table} WHERE platform_id = @platform_id AND {IdColumn} = @id";

        private static string ListOf((string Column, char Read)[] columns) => string.Join(", ", columns.Select(column => column.Column));

        /// <summary>
        /// The audited content of the row the reader is on, its columns from ordinal <paramref name="first"/>:
        /// 's' text, 'i' integer, 'r' real, each possibly null.
        /// </summary>
        public string ContentOf(DbDataReader reader, int first = 0)
        {
            var values = new object?[Columns.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var ordinal = first + i;
                values[i] = reader.IsDBNull(ordinal) ? null : Columns[i].Read switch
                {
                    's' => reader.GetString(ordinal),
                    'i' => reader.GetInt64(ordinal),
                    _ => reader.GetDouble(ordinal),
                };
            }

            return AuditHash.Content(values);
        }
    }

    private static readonly AuditedReport DispenseReport = new(
        AuditKind.Dispense,
        "dispenses",
        "dispense_id",
        [
            ("platform_id", 's'), ("dispense_id", 's'), ("prescription_id", 's'), ("patient_key", 's'), ("platform_patient_id", 's'),
            ("pharmacy_id", 's'), ("dispensed_at", 'i'), ("fill_number", 'i'), ("total_mg", 'r'), ("days_supply", 'i'), ("fingerprint", 's'),
        ]);

    private static readonly AuditedReport EncounterReport = new(
        AuditKind.Encounter,
        "encounters",
        "encounter_id",
        [
            ("platform_id", 's'), ("encounter_id", 's'), ("patient_key", 's'), ("platform_patient_id", 's'), ("clinician_npi", 's'), ("kind", 'i'),
            ("occurred_at", 'i'), ("location_state", 's'), ("monitoring_minutes", 'i'), ("bp_systolic", 'i'), ("bp_diastolic", 'i'), ("bp_measured_at", 'i'),
            .. MedicationColumns.Columns.Select(column => ("med_" + column.Column, column.Read)),
            ("fingerprint", 's'),
        ]);

    /// <summary>The schema version from which dispenses and encounters carry audit links.</summary>
    internal const int ReportsChainedFromVersion = 6;

    private static readonly AuditedReport[] AuditedReports = [DispenseReport, EncounterReport];

    private static string DispenseContent(StoredDispense dispense)
    {
        var entry = dispense.Entry;
        return AuditHash.Content(
            entry.PlatformId, entry.DispenseId, entry.PrescriptionId, dispense.PatientKey.Value, dispense.PlatformPatientId, entry.PharmacyId,
            entry.DispensedAt.ToUnixTimeMilliseconds(), (long)entry.FillNumber, entry.TotalMg, (long)entry.DaysSupply, dispense.Fingerprint);
    }

    private static string EncounterContent(StoredEncounter encounter)
    {
        var entry = encounter.Entry;
        object?[] medication = entry.Medication is { } given ? MedicationFields(given) : new object?[MedicationColumns.Count];
        return AuditHash.Content(
        [
            entry.PlatformId, entry.EncounterId, encounter.PatientKey.Value, encounter.PlatformPatientId, entry.ClinicianNpi, (long)entry.Kind,
            entry.OccurredAt.ToUnixTimeMilliseconds(), entry.LocationState, (long)entry.MonitoringMinutes,
            (long?)entry.BloodPressure?.Systolic, (long?)entry.BloodPressure?.Diastolic, entry.BloodPressure?.MeasuredAt.ToUnixTimeMilliseconds(),
            .. medication,
            encounter.Fingerprint,
        ]);
    }
}
