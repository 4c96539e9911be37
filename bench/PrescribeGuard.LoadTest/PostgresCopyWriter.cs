using Npgsql;
using NpgsqlTypes;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Writes seeded patients into one binary COPY per table: row for row, column for column what
/// <see cref="SqliteSeeder"/> inserts. Binary COPY does not convert: every value goes in the exact
/// type of its column (LedgerSchema on PostgreSQL): TEXT, BIGINT for the {INT} columns (flags, enums,
/// counts and Unix-millisecond times alike) and DOUBLE PRECISION for the {REAL} ones.
/// </summary>
internal sealed class PostgresCopyWriter : IAsyncDisposable
{
    private const string Medication = "drug_class, compounded, route, setting, dose_mg, total_mg, days_supply, refills_authorized";

    private static readonly string[] Copies =
    [
        "COPY prescriptions (platform_id, prescription_id, patient_key, platform_patient_id, prescriber_npi, prescriber_dea, " +
            Medication + ", issued_at, imported, fingerprint, recorded_at) FROM STDIN (FORMAT BINARY)",
        "COPY dispenses (platform_id, dispense_id, prescription_id, patient_key, platform_patient_id, pharmacy_id, dispensed_at, " +
            "fill_number, total_mg, days_supply, fingerprint, recorded_at) FROM STDIN (FORMAT BINARY)",
        "COPY encounters (platform_id, encounter_id, patient_key, platform_patient_id, clinician_npi, kind, occurred_at, location_state, " +
            "monitoring_minutes, bp_systolic, bp_diastolic, bp_measured_at, med_drug_class, med_compounded, med_route, med_setting, " +
            "med_dose_mg, med_total_mg, med_days_supply, med_refills_authorized, fingerprint, recorded_at) FROM STDIN (FORMAT BINARY)",
        "COPY patient_revisions (patient_key, revision) FROM STDIN (FORMAT BINARY)",
    ];

    private readonly NpgsqlConnection[] _connections;
    private readonly NpgsqlBinaryImporter[] _importers;
    private readonly long _recordedAt;

    private PostgresCopyWriter(NpgsqlConnection[] connections, NpgsqlBinaryImporter[] importers, DateTimeOffset now)
    {
        _connections = connections;
        _importers = importers;
        _recordedAt = now.ToUnixTimeMilliseconds();
    }

    /// <summary>One connection per table, so that PostgreSQL takes the four streams in parallel.</summary>
    public static async Task<PostgresCopyWriter> OpenAsync(NpgsqlDataSource dataSource, DateTimeOffset now)
    {
        var connections = new NpgsqlConnection[Copies.Length];
        var importers = new NpgsqlBinaryImporter[Copies.Length];
        for (var i = 0; i < Copies.Length; i++)
        {
            connections[i] = await dataSource.OpenConnectionAsync();
            importers[i] = await connections[i].BeginBinaryImportAsync(Copies[i]);
        }

        return new PostgresCopyWriter(connections, importers, now);
    }

    /// <summary>The patient's rows; a patient without events has none (not even a revision), as in SQLite.</summary>
    public void Write(PatientPlan plan, string patientKey)
    {
        if (plan.EventCount == 0)
        {
            return;
        }

        var prescriptions = _importers[0];
        foreach (var p in plan.Prescriptions)
        {
            prescriptions.StartRow();
            Text(prescriptions, p.Platform, p.Id, patientKey, plan.PlatformPatientId(p.Platform), p.PrescriberNpi, PatientPlan.Dea);
            WriteMedication(prescriptions, p.Kind);
            Int(prescriptions, p.IssuedAt.ToUnixTimeMilliseconds(), 1);
            Text(prescriptions, "seed");
            Int(prescriptions, _recordedAt);
        }

        var dispenses = _importers[1];
        foreach (var d in plan.Dispenses)
        {
            var p = d.Prescription;
            dispenses.StartRow();
            Text(dispenses, p.Platform, d.Id, p.Id, patientKey, plan.PlatformPatientId(p.Platform), "ncpdp:" + d.Ncpdp);
            Int(dispenses, d.DispensedAt.ToUnixTimeMilliseconds(), d.FillNumber);
            dispenses.Write(p.Kind.TotalMg, NpgsqlDbType.Double);
            Int(dispenses, p.Kind.DaysSupply);
            Text(dispenses, "seed");
            Int(dispenses, _recordedAt);
        }

        var encounters = _importers[2];
        foreach (var e in plan.Encounters)
        {
            var at = e.OccurredAt.ToUnixTimeMilliseconds();
            encounters.StartRow();
            Text(encounters, e.Platform, e.Id, patientKey, plan.PlatformPatientId(e.Platform), e.ClinicianNpi);
            Int(encounters, e.Supervised ? 1 : 0, at);
            Text(encounters, "NY");
            Int(encounters, e.MonitoringMinutes, e.Systolic, e.Diastolic, at);
            WriteMedication(encounters, e.Supervised ? MedicationKind.ClinicInfusion : null);
            Text(encounters, "seed");
            Int(encounters, _recordedAt);
        }

        var revisions = _importers[3];
        revisions.StartRow();
        Text(revisions, patientKey);
        Int(revisions, 1);
    }

    /// <summary>Commits every COPY; without this, disposing cancels them and the tables stay empty.</summary>
    public async Task CompleteAsync()
    {
        foreach (var importer in _importers)
        {
            await importer.CompleteAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var importer in _importers)
        {
            await importer.DisposeAsync();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static void WriteMedication(NpgsqlBinaryImporter importer, MedicationKind? m)
    {
        if (m is null)
        {
            for (var column = 0; column < 8; column++)
            {
                importer.WriteNull();
            }

            return;
        }

        Int(importer, m.DrugClass, m.Compounded ? 1 : 0, m.Route, m.Setting);
        importer.Write(m.DoseMg, NpgsqlDbType.Double);
        importer.Write(m.TotalMg, NpgsqlDbType.Double);
        Int(importer, m.DaysSupply, m.RefillsAuthorized);
    }

    private static void Text(NpgsqlBinaryImporter importer, params ReadOnlySpan<string> values)
    {
        foreach (var value in values)
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void Int(NpgsqlBinaryImporter importer, params ReadOnlySpan<long> values)
    {
        foreach (var value in values)
        {
            importer.Write(value, NpgsqlDbType.Bigint);
        }
    }
}
