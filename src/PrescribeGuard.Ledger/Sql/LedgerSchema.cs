namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The ledger's tables, written once with type placeholders ({INT}, {REAL}, {BLOB}) that each
/// dialect fills in. Booleans and times are integers (0/1, Unix milliseconds UTC) so the same
/// statements run on every store. No name or birth date has a column: patients are keyed hashes.
/// </summary>
internal static class LedgerSchema
{
    private const string Medication =
        "{P}drug_class {INT} {NULL}, {P}compounded {INT} {NULL}, {P}route {INT} {NULL}, {P}setting {INT} {NULL}, " +
        "{P}dose_mg {REAL} {NULL}, {P}total_mg {REAL} {NULL}, {P}days_supply {INT} {NULL}, {P}refills_authorized {INT} {NULL}";

    private const string Version1 = """
        CREATE TABLE prescriptions (
            platform_id TEXT NOT NULL,
            prescription_id TEXT NOT NULL,
            patient_key TEXT NOT NULL,
            platform_patient_id TEXT NOT NULL,
            prescriber_npi TEXT NOT NULL,
            prescriber_dea TEXT NOT NULL,
            {MEDICATION:NOT NULL},
            issued_at {INT} NOT NULL,
            imported {INT} NOT NULL,
            decision_id TEXT NULL,
            override_reason_code TEXT NULL,
            override_comment TEXT NULL,
            fingerprint TEXT NOT NULL,
            recorded_at {INT} NOT NULL,
            PRIMARY KEY (platform_id, prescription_id));
        CREATE INDEX ix_prescriptions_patient ON prescriptions (patient_key);
        CREATE TABLE dispenses (
            platform_id TEXT NOT NULL,
            dispense_id TEXT NOT NULL,
            prescription_id TEXT NOT NULL,
            patient_key TEXT NOT NULL,
            platform_patient_id TEXT NOT NULL,
            pharmacy_id TEXT NOT NULL,
            dispensed_at {INT} NOT NULL,
            fill_number {INT} NOT NULL,
            total_mg {REAL} NOT NULL,
            days_supply {INT} NOT NULL,
            fingerprint TEXT NOT NULL,
            recorded_at {INT} NOT NULL,
            PRIMARY KEY (platform_id, dispense_id));
        CREATE INDEX ix_dispenses_patient ON dispenses (patient_key);
        CREATE TABLE encounters (
            platform_id TEXT NOT NULL,
            encounter_id TEXT NOT NULL,
            patient_key TEXT NOT NULL,
            platform_patient_id TEXT NOT NULL,
            clinician_npi TEXT NOT NULL,
            kind {INT} NOT NULL,
            occurred_at {INT} NOT NULL,
            location_state TEXT NOT NULL,
            monitoring_minutes {INT} NOT NULL,
            bp_systolic {INT} NULL,
            bp_diastolic {INT} NULL,
            bp_measured_at {INT} NULL,
            {MEDICATION:med_:NULL},
            fingerprint TEXT NOT NULL,
            recorded_at {INT} NOT NULL,
            PRIMARY KEY (platform_id, encounter_id));
        CREATE INDEX ix_encounters_patient ON encounters (patient_key);
        CREATE TABLE decisions (
            decision_id TEXT NOT NULL PRIMARY KEY,
            platform_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request_fingerprint TEXT NOT NULL,
            patient_key TEXT NOT NULL,
            outcome {INT} NOT NULL,
            dry_run {INT} NOT NULL,
            policy_version TEXT NOT NULL,
            evaluated_at {INT} NOT NULL,
            recorded_at {INT} NOT NULL,
            reservation_state {INT} NOT NULL,
            reservation_expires_at {INT} NULL,
            reservation_prescriber_npi TEXT NULL,
            {MEDICATION:res_:NULL},
            confirmed_prescription_id TEXT NULL,
            released_at {INT} NULL,
            payload {BLOB} NOT NULL,
            UNIQUE (platform_id, request_id));
        CREATE INDEX ix_decisions_pending ON decisions (patient_key, reservation_state);
        CREATE TABLE patient_revisions (
            patient_key TEXT NOT NULL PRIMARY KEY,
            revision {INT} NOT NULL);
        """;

    /// <summary>The tamper-evident audit chain: one link per decision, recorded prescription and release.</summary>
    private const string Version2 = """
        CREATE TABLE audit_chain (
            seq {INT} NOT NULL PRIMARY KEY,
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            recorded_at {INT} NOT NULL);
        """;

    /// <summary>
    /// Several audit chains instead of one: a link belongs to the chain of its patient, so appends
    /// for different patients need not queue on one lock (see <see cref="ILedgerDialect.AuditChainOf"/>).
    /// The links written before stay chain 0, unchanged. {LOCK_AUDIT_CHAIN} keeps a guard of the
    /// previous version from appending between the copy and the drop (its link would be lost);
    /// such guards must be stopped for this upgrade, since they cannot write the new table.
    /// </summary>
    private const string Version3 = """
        {LOCK_AUDIT_CHAIN}
        CREATE TABLE audit_chain_v3 (
            chain {INT} NOT NULL,
            seq {INT} NOT NULL,
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            recorded_at {INT} NOT NULL,
            PRIMARY KEY (chain, seq));
        INSERT INTO audit_chain_v3 (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at)
            SELECT 0, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at FROM audit_chain;
        DROP TABLE audit_chain;
        ALTER TABLE audit_chain_v3 RENAME TO audit_chain;
        """;

    /// <summary>
    /// The pending-reservation index holds pending decisions only. Most checks are dry runs or
    /// refills and never reserve, yet each of them wrote a leaf of the old index at a random place
    /// (keys are patient hashes): a page of WAL and of checkpoint per check. History reads ask for
    /// pending ones by a literal state (see SqlGuardLedger.History), which both engines match
    /// against the index's WHERE, and in evaluated_at order, which the index now gives. The new
    /// index is built before the old one is dropped, so on PostgreSQL reads go on during the build
    /// (writes to decisions wait for it); SQLite cannot rename an index, hence the new name.
    /// </summary>
    private const string Version4 = """
        CREATE INDEX ix_decisions_pending_only ON decisions (patient_key, evaluated_at) WHERE reservation_state = 1;
        DROP INDEX ix_decisions_pending;
        """;

    /// <summary>
    /// What the ledger's patients were keyed with: a verifier of the patient-key secret (an HMAC of a
    /// fixed text under it, which reveals nothing of the secret). An instance with another secret
    /// would find none of the patients on record and must not start (see GuardStartup).
    /// </summary>
    private const string Version5 = """
        CREATE TABLE ledger_identity (
            name TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL);
        """;

    /// <summary>
    /// Dispenses and encounters are chained from this version on. No schema changes: the step is the
    /// links for the rows recorded before, which need the chain's hashing and so are appended by the
    /// ledger itself in the migration's transaction (<see cref="SqlGuardLedger.ReportsChainedFromVersion"/>).
    /// {LOCK_REPORTS} keeps writers of the previous version from adding a row between the read and the
    /// commit. Guards of an earlier version must still be stopped for this upgrade: a dispense they record
    /// after it has no link and is reported by the audit.
    /// </summary>
    private const string Version6 = "{LOCK_REPORTS}";

    /// <param name="lockAuditChain">A statement that locks audit_chain against other writers until
    /// commit, ending with ';' (empty where the migration's transaction already excludes them).</param>
    /// <param name="lockReports">A statement that keeps other writers from inserting into dispenses and
    /// encounters until commit, likewise.</param>
    public static IReadOnlyList<string> Migrations(string integer, string real, string blob, string lockAuditChain, string lockReports) =>
    [
        Version1
            .Replace("{MEDICATION:NOT NULL}", Expand(string.Empty, "NOT NULL"), StringComparison.Ordinal)
            .Replace("{MEDICATION:med_:NULL}", Expand("med_", "NULL"), StringComparison.Ordinal)
            .Replace("{MEDICATION:res_:NULL}", Expand("res_", "NULL"), StringComparison.Ordinal)
            .Replace("{INT}", integer, StringComparison.Ordinal)
            .Replace("{REAL}", real, StringComparison.Ordinal)
            .Replace("{BLOB}", blob, StringComparison.Ordinal),
        Version2.Replace("{INT}", integer, StringComparison.Ordinal),
        Version3.Replace("{INT}", integer, StringComparison.Ordinal).Replace("{LOCK_AUDIT_CHAIN}", lockAuditChain, StringComparison.Ordinal),
        Version4,
        Version5,
        Version6.Replace("{LOCK_REPORTS}", lockReports, StringComparison.Ordinal),
    ];

    private static string Expand(string prefix, string nullability) =>
        Medication.Replace("{P}", prefix, StringComparison.Ordinal).Replace("{NULL}", nullability, StringComparison.Ordinal);
}
