using System.Data.Common;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

public sealed partial class SqlGuardLedger
{
    private static readonly string DecisionSelect =
        "SELECT decision_id, platform_id, request_id, request_fingerprint, patient_key, outcome, dry_run, policy_version, " +
        "evaluated_at, reservation_state, reservation_expires_at, reservation_prescriber_npi, confirmed_prescription_id, payload, " +
        MedicationColumns.List("res_") + " FROM decisions";

    private const int DecisionMedicationOrdinal = 14;

    // Built once: composing them per call was the largest source of strings a check allocated.
    private static readonly string InsertDecisionRowSql =
        "INSERT INTO decisions (decision_id, platform_id, request_id, request_fingerprint, patient_key, outcome, dry_run, policy_version, " +
        "evaluated_at, recorded_at, reservation_state, reservation_expires_at, reservation_prescriber_npi, confirmed_prescription_id, payload, " +
        MedicationColumns.List("res_") + ") VALUES (@decision_id, @platform_id, @request_id, @request_fingerprint, @patient_key, @outcome, " +
        "@dry_run, @policy_version, @evaluated_at, @recorded_at, @reservation_state, @reservation_expires_at, @reservation_prescriber_npi, " +
        "@confirmed_prescription_id, @payload, " + MedicationColumns.Parameters("res_") + ")";

    // Most decisions reserve nothing (dry runs, refills, denials): their reservation columns are
    // left to their NULL default rather than bound, ten parameters fewer to look up and bind.
    private static readonly string InsertUnreservedDecisionRowSql =
        "INSERT INTO decisions (" + string.Join(", ", UnreservedDecisionColumns.Names) + ") VALUES (" +
        string.Join(", ", UnreservedDecisionColumns.Names.Select(column => "@" + column)) + ")";

    private readonly string _insertDecisionSql = Audited(dialect, InsertDecisionRowSql);

    private readonly string _insertUnreservedDecisionSql = Audited(dialect, InsertUnreservedDecisionRowSql);

    private readonly string _auditLinkSql = AuditLinkSql(dialect);

    /// <summary>Every statement that writes a decision or its audit link, one each (tests read their plans).</summary>
    internal IReadOnlyList<string> DecisionStatementsSql => [InsertDecisionRowSql, InsertUnreservedDecisionRowSql, _auditLinkSql];

    // Where a command commits atomically, a decision that reserves nothing, decided on the patient's
    // cached history, is written in one round trip: the patient's lock, then a statement that fails
    // unless the patient's revision is still the cached one (nothing was written for the patient
    // since, so the history decided on is the one a transaction would read) and the command's
    // statements see the latest commits (else they may not see the lock's previous holder's writes),
    // then the decision and its link. A used request_id fails the decisions' unique key instead. Either failure leaves
    // nothing written, and the check is decided again inside a transaction, as without a cache.
    private readonly string? _insertUnchangedDecisionSql = dialect.CommitsCommandsAtomically
        ? Before(dialect.PatientLockSql) +
          "SELECT 1 / (SELECT COUNT(*) FROM (SELECT COALESCE((SELECT revision FROM patient_revisions WHERE patient_key = @patient_key), 0) AS revision) " +
          "AS patient WHERE patient.revision = @expected_revision AND " + dialect.StatementsSeeLatestCommitsSql + ");\n" +
          Audited(dialect, InsertUnreservedDecisionRowSql)
        : null;

    /// <summary>The decision already made for a request, if any, then the patient's revision (see <see cref="ReadRequestAndRevisionAsync"/>).</summary>
    private static readonly string DecisionByRequestAndRevisionSql =
        DecisionSelect + " WHERE platform_id = @platform_id AND request_id = @request_id;\n" +
        "SELECT revision FROM patient_revisions WHERE patient_key = @patient_key";

    // The patient's lock (where the store takes one) rides in the same round trip as the look-ups.
    private readonly string _findDecisionByRequestSql = Before(dialect.PatientLockSql) + DecisionByRequestAndRevisionSql;

    private static readonly string FindDecisionSql = DecisionSelect + " WHERE decision_id = @decision_id";

    // The revision before the history: each statement sees what committed before it began, so the
    // history is at least as new as the revision. Where it is newer, the revision is stale (and the
    // write that expects it refused), never the history. An instance field: it joins static texts of
    // two files of this partial class, whose static initialisers run in no order one can rely on.
    private readonly string _readAheadSql = DecisionByRequestAndRevisionSql + ";\n" + HistorySql;

    /// <summary>Inserts the decision and the audit link vouching for it.</summary>
    private async Task InsertDecisionAsync(DbConnection connection, DbTransaction transaction, DecisionRecord decision, CancellationToken cancellationToken)
    {
        // A store with a chain lock takes it in the combined command, before the row.
        if (!dialect.RunsCommandsInProcess || dialect.AuditChainLockSql is not null)
        {
            var sql = decision.Reservation is null ? _insertUnreservedDecisionSql : _insertDecisionSql;
            await WithDecision(connection.Command(transaction, sql), decision).ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        // No round trip to save: one command per statement, each binding only its own parameters.
        var rowSql = decision.Reservation is null ? InsertUnreservedDecisionRowSql : InsertDecisionRowSql;
        await WithDecisionRow(connection.Command(transaction, rowSql), decision).ExecuteNonQueryAsync(cancellationToken);
        await WithDecisionLink(connection.Command(transaction, _auditLinkSql), decision).ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// In one command outside any transaction: the decision already made for this request, if any,
    /// else the patient's revision and then history (see <see cref="_readAheadSql"/>). A decision made
    /// on that history may be written only while the patient's revision is still the one returned.
    /// </summary>
    private Task<(DecisionRecord? Existing, long Revision, PatientHistory? History)> ReadAheadAsync(DecideRequest request, CancellationToken cancellationToken) =>
        OnConnectionAsync<(DecisionRecord?, long, PatientHistory?)>(async connection =>
        {
            await using var command = WithRequest(connection.Command(null, _readAheadSql), request);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var (existing, revision) = await ReadRequestAndRevisionAsync(reader, cancellationToken);
            if (existing is not null)
            {
                return (existing, revision, null);
            }

            await reader.NextResultAsync(cancellationToken);
            return (existing, revision, await ReadHistoryAsync(reader, cancellationToken));
        }, waitDurable: false, cancellationToken);

    /// <summary>The answer to a request whose decision is already on record.</summary>
    private static DecideResult Replay(DecisionRecord existing, DecideRequest request) =>
        existing.RequestFingerprint == request.RequestFingerprint
            ? new DecideResult(existing, Replayed: true)
            : throw GuardException.AlreadyExists("REQUEST_ID_REUSED", "this request_id was already used for a different check");

    /// <summary>
    /// Writes a decision that reserves nothing in one command of its own (see
    /// <see cref="_insertUnchangedDecisionSql"/>) if the patient's revision is still
    /// <paramref name="cachedRevision"/> and the request is new; false, with nothing written, if not.
    /// </summary>
    private Task<bool> TryInsertUnchangedDecisionAsync(DecideRequest request, long cachedRevision, DecisionRecord decision, CancellationToken cancellationToken) =>
        OnConnectionAsync(async connection =>
        {
            var command = WithPatientLock(WithDecision(connection.Command(null, _insertUnchangedDecisionSql!), decision), request.PatientKey)
                .With("@expected_revision", cachedRevision);

            try
            {
                await using (command)
                {
                    // Returns once the command's transaction committed.
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                return true;
            }
            catch (DbException ex) when (dialect.IsExpectationFailure(ex) || dialect.IsDuplicateKey(ex))
            {
                return false;
            }
        }, waitDurable: false, cancellationToken);

    /// <summary>The decision's row and its audit link, for <see cref="Audited"/> over a decision row statement.</summary>
    private DbCommand WithDecision(DbCommand command, DecisionRecord decision) => WithDecisionLink(WithDecisionRow(command, decision), decision);

    /// <summary>The parameters of <see cref="InsertDecisionRowSql"/>, or of <see cref="InsertUnreservedDecisionRowSql"/> for a decision without a reservation.</summary>
    private static DbCommand WithDecisionRow(DbCommand command, DecisionRecord decision)
    {
        command
            .With("@decision_id", decision.DecisionId)
            .With("@platform_id", decision.PlatformId)
            .With("@request_id", decision.RequestId)
            .With("@request_fingerprint", decision.RequestFingerprint)
            .With("@patient_key", decision.PatientKey.Value)
            .With("@outcome", (long)decision.Outcome)
            .With("@dry_run", decision.DryRun)
            .With("@policy_version", decision.PolicyVersion)
            .With("@evaluated_at", decision.EvaluatedAt)
            .With("@recorded_at", DateTimeOffset.UtcNow)
            .With("@reservation_state", (long)decision.ReservationState)
            .With("@confirmed_prescription_id", decision.ConfirmedPrescriptionId)
            .With("@payload", decision.Payload);
        return decision.Reservation is { } reservation
            ? command
                .With("@reservation_expires_at", reservation.ExpiresAt)
                .With("@reservation_prescriber_npi", reservation.PrescriberNpi)
                .WithMedication("res_", reservation.Medication)
            : command;
    }

    private DbCommand WithDecisionLink(DbCommand command, DecisionRecord decision) =>
        WithAuditLink(command, decision.PatientKey, AuditKind.Decision, decision.DecisionId, DecisionContent(decision));

    /// <summary>
    /// Takes the patient's lock (see <see cref="ILedgerDialect.PatientLockSql"/>), then reads the
    /// decision already made for this request, if any, and the patient's revision: one round trip.
    /// </summary>
    private async Task<(DecisionRecord? Existing, long Revision)> LockAndFindDecisionByRequestAsync(
        DbConnection connection, DbTransaction transaction, DecideRequest request, CancellationToken cancellationToken)
    {
        await using var command = WithPatientLock(WithRequest(connection.Command(transaction, _findDecisionByRequestSql), request), request.PatientKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (dialect.PatientLockSql is not null)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        return await ReadRequestAndRevisionAsync(reader, cancellationToken);
    }

    private static DbCommand WithRequest(DbCommand command, DecideRequest request) => command
        .With("@platform_id", request.PlatformId)
        .With("@request_id", request.RequestId)
        .With("@patient_key", request.PatientKey.Value);

    /// <summary>The key of <see cref="ILedgerDialect.PatientLockSql"/>, where the store has that lock.</summary>
    private DbCommand WithPatientLock(DbCommand command, PatientKey patientKey) =>
        dialect.PatientLockSql is null ? command : command.With("@patient_lock", dialect.PatientLockKey(patientKey));

    /// <summary>The two result sets of <see cref="DecisionByRequestAndRevisionSql"/>, from the reader's current one.</summary>
    private static async Task<(DecisionRecord? Existing, long Revision)> ReadRequestAndRevisionAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var existing = await reader.ReadAsync(cancellationToken) ? ReadDecision(reader) : null;
        await reader.NextResultAsync(cancellationToken);
        var revision = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0L;
        return (existing, revision);
    }

    /// <summary>A statement to run first in a command, or nothing where the store has none.</summary>
    private static string Before(string? statement) => statement is null ? string.Empty : statement + ";\n";

    private static Task<DecisionRecord?> FindDecisionAsync(
        DbConnection connection, DbTransaction? transaction, string decisionId, CancellationToken cancellationToken)
    {
        var command = connection.Command(transaction, FindDecisionSql).With("@decision_id", decisionId);
        return ReadDecisionAsync(command, cancellationToken);
    }

    private static async Task<DecisionRecord?> ReadDecisionAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadDecision(reader) : null;
        }
    }

    private static DecisionRecord ReadDecision(DbDataReader reader)
    {
        var decisionId = reader.GetString(0);
        var platformId = reader.GetString(1);
        var evaluatedAt = reader.GetTime(8);
        var expiresAt = reader.GetTimeOrNull(10);
        var medication = reader.ReadMedication(DecisionMedicationOrdinal);
        var reservation = expiresAt is { } expiry && medication is not null
            ? new ReservationEntry(platformId, decisionId, reader.GetRequiredString(11), medication, evaluatedAt, expiry)
            : null;
        return new DecisionRecord(
            decisionId,
            platformId,
            reader.GetString(2),
            reader.GetString(3),
            new PatientKey(reader.GetString(4)),
            (Outcome)reader.GetInt64(5),
            reader.GetFlag(6),
            reader.GetString(7),
            evaluatedAt,
            reservation,
            (ReservationState)reader.GetInt64(9),
            reader.GetStringOrNull(12),
            (byte[])reader.GetValue(13));
    }
}
