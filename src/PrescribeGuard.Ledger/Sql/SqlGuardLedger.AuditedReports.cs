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
        public string FindSql { get; } =
            $"SELECT {string.Join(", ", Columns.Select(column => column.Column))} FROM {Table} WHERE platform_id = @platform_id AND {IdColumn} = @id";

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

    private static readonly (string Column, char Read)[] MedicationRead =
        [("drug_class", 'i'), ("compounded", 'i'), ("route", 'i'), ("setting", 'i'), ("dose_mg", 'r'), ("total_mg", 'r'), ("days_supply", 'i'), ("refills_authorized", 'i')];

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
            .. MedicationRead.Select(column => ("med_" + column.Column, column.Read)),
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

    /// <summary>The audited content of a dispense or encounter as it is now (record id platform/id), or null if it is gone.</summary>
    private static async Task<string?> ReportContentAsync(
        DbConnection connection, DbTransaction transaction, AuditedReport report, string recordId, CancellationToken cancellationToken)
    {
        var (platformId, id) = ReportRecordId.Split(recordId);
        await using var command = connection.Command(transaction, report.FindSql).With("@platform_id", platformId).With("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? report.ContentOf(reader) : null;
    }

    /// <summary>
    /// Links for the dispenses and encounters recorded before they were chained (schema version 6), in
    /// the migration's transaction, for each row that has none: from the upgrade on, every such row has
    /// one, so a row inserted without one is reported. The link vouches for the row as it was at the
    /// upgrade. On a server store the tables are locked against writers by the migration's own SQL,
    /// every chain's lock is taken first (in ascending order, as every other writer takes them), and the
    /// links go in set-based statements of a few thousand each.
    /// </summary>
    private async Task LinkReportsRecordedBeforeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var unlinked = new List<(AuditedReport Report, List<(int Chain, string RecordId, string Content)> Rows)>();
        foreach (var report in AuditedReports)
        {
            unlinked.Add((report, await UnlinkedRowsAsync(connection, transaction, report, cancellationToken)));
        }

        if (dialect.ArrayRowsSql(BatchAuditLinks.Parameters) is not { } arrayRows)
        {
            foreach (var (report, rows) in unlinked)
            {
                foreach (var (chain, recordId, content) in rows)
                {
                    await WithAuditLink(connection.Command(transaction, Before(dialect.AuditChainLockSql) + AuditLinkSql(dialect)), chain, report.Kind, recordId, content)
                        .ExecuteNonQueryAsync(cancellationToken);
                }
            }

            return;
        }

        if (dialect.AuditChainLockSql is { } lockSql)
        {
            var chains = unlinked.SelectMany(entry => entry.Rows).Select(row => dialect.AuditChainLockKey(row.Chain)).Distinct().Order();
            foreach (var chain in chains)
            {
                await connection.Command(transaction, lockSql).With("@audit_chain_lock", chain).ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var (report, rows) in unlinked)
        {
            foreach (var chunk in rows.Chunk(UpgradeLinksPerStatement))
            {
                await Unhurried(connection.Command(transaction, BatchAuditLinks.AppendSql(dialect, arrayRows)))
                    .WithArrays(
                        BatchAuditLinks.Parameters,
                        [
                            chunk.Select((_, i) => (long)i).ToArray(),
                            chunk.Select(row => (long)row.Chain).ToArray(),
                            chunk.Select(row => row.RecordId).ToArray(),
                            chunk.Select(row => row.Content).ToArray(),
                            chunk.Select(row => AuditHash.GenesisOf(row.Chain)).ToArray(),
                        ])
                    .With("@link_kind", report.Kind)
                    .With("@link_recorded_at", DateTimeOffset.UtcNow)
                    .With("@link_count", (long)chunk.Length)
                    .ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    /// <summary>The rows of a report table with no link of their own yet: their chain, record id and audited content.</summary>
    private async Task<List<(int Chain, string RecordId, string Content)>> UnlinkedRowsAsync(
        DbConnection connection, DbTransaction transaction, AuditedReport report, CancellationToken cancellationToken)
    {
        var linked = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = Unhurried(connection.Command(transaction, "SELECT record_id FROM audit_chain WHERE kind = @kind").With("@kind", report.Kind)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                linked.Add(reader.GetString(0));
            }
        }

        var rows = new List<(int Chain, string RecordId, string Content)>();
        await using (var command = Unhurried(connection.Command(
            transaction, $"SELECT patient_key, platform_id || '/' || {report.IdColumn}, {string.Join(", ", report.Columns.Select(column => column.Column))} FROM {report.Table}")))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!linked.Contains(reader.GetString(1)))
                {
                    rows.Add((dialect.AuditChainOf(new PatientKey(reader.GetString(0))), reader.GetString(1), report.ContentOf(reader, 2)));
                }
            }
        }

        return rows;
    }

    private const int UpgradeLinksPerStatement = 5_000;

    // A migration's statements may run far longer than any check's may.
    private static DbCommand Unhurried(DbCommand command)
    {
        command.CommandTimeout = 0;
        return command;
    }
}
