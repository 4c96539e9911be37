using System.Data.Common;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The columns a decision that reserves nothing is written with (its reservation columns keep their
/// NULL default): named parameters for one row, or one array parameter each, with an element per
/// decision, so that a batch's rows go in one multi-row insert.
/// </summary>
internal static class UnreservedDecisionColumns
{
    public static readonly IReadOnlyList<string> Names =
    [
        "decision_id", "platform_id", "request_id", "request_fingerprint", "patient_key", "outcome", "dry_run",
        "policy_version", "evaluated_at", "recorded_at", "reservation_state", "confirmed_prescription_id", "payload",
    ];

    /// <summary>The array parameters, in the order of <see cref="Names"/>.</summary>
    public static readonly IReadOnlyList<string> Parameters = [.. Names.Select(name => "@" + name + "s")];

    public static DbBatchCommand WithColumns(this DbBatchCommand command, IReadOnlyList<UnchangedDecision> decisions)
    {
        var count = decisions.Count;
        var (decisionIds, platformIds, requestIds, fingerprints, patientKeys) = (new string[count], new string[count], new string[count], new string[count], new string[count]);
        var (outcomes, dryRuns, evaluatedAt, reservationStates) = (new long[count], new long[count], new long[count], new long[count]);
        var (policyVersions, confirmedPrescriptionIds, payloads) = (new string[count], new string?[count], new byte[count][]);
        for (var i = 0; i < count; i++)
        {
            var decision = decisions[i].Decision;
            (decisionIds[i], platformIds[i], requestIds[i], fingerprints[i], patientKeys[i]) =
                (decision.DecisionId, decision.PlatformId, decision.RequestId, decision.RequestFingerprint, decision.PatientKey.Value);
            (outcomes[i], dryRuns[i], evaluatedAt[i], reservationStates[i]) =
                ((long)decision.Outcome, decision.DryRun ? 1L : 0L, decision.EvaluatedAt.ToUnixTimeMilliseconds(), (long)decision.ReservationState);
            (policyVersions[i], confirmedPrescriptionIds[i], payloads[i]) = (decision.PolicyVersion, decision.ConfirmedPrescriptionId, decision.Payload);
        }

        var recordedAt = new long[count];
        Array.Fill(recordedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return command.WithArrays(
            Parameters,
            [decisionIds, platformIds, requestIds, fingerprints, patientKeys, outcomes, dryRuns, policyVersions, evaluatedAt, recordedAt, reservationStates, confirmedPrescriptionIds, payloads]);
    }
}
