using Google.Protobuf;
using Microsoft.Extensions.Options;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Domain.Evaluation;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Domain.Prescribing;
using PrescribeGuard.Domain.Reservations;
using PrescribeGuard.Ledger;
using PrescribeGuard.Ledger.Records;
using PrescribeGuard.Server.Configuration;
using PrescribeGuard.Server.Mapping;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.Server.Policy;
using PrescribeGuard.Server.Validation;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Application;

/// <summary>
/// Answers CheckPrescription: validates, derives the patient key, and lets the ledger run the pure
/// evaluator on the patient's history inside the patient's serialised transaction, so the decision
/// and its reservation are durable before the reply and no two checks can both be allowed.
/// </summary>
public sealed partial class CheckPrescriptionHandler(
    IGuardLedger ledger,
    PrescriptionEvaluator evaluator,
    PolicyProvider policies,
    PatientKeyDeriver keys,
    TimeProvider time,
    GuardMetrics metrics,
    ILogger<CheckPrescriptionHandler> logger)
{
    public async Task<Decision> HandleAsync(CheckPrescriptionRequest request, string platformId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var validated = new FieldViolations(now, ClockSkew.Tolerance).Check(request);
        var patientKey = keys.Derive(request.Patient.FamilyName, request.Patient.GivenName, validated.BirthDate);
        var evaluatedAt = request.AsOf?.ToDateTimeOffset() ?? now;
        var refillOf = request.RefillOfPrescriptionId.Length > 0 ? request.RefillOfPrescriptionId : null;
        var check = new PrescriptionCheck(
            platformId,
            ToDomain.PatientFacts(request.Patient),
            ToDomain.PrescriberFacts(request.Prescriber),
            ToDomain.Medication(request.Medication),
            ToDomain.EncounterMode(request.EncounterMode),
            validated.PharmacyId,
            refillOf,
            evaluatedAt);
        var policy = policies.Current;
        var fingerprint = Fingerprint.Of(request, r => r.Patient, patientKey);

        Decision? built = null;
        var result = await ledger.DecideAsync(
            new DecideRequest(platformId, request.RequestId, fingerprint, patientKey),
            history =>
            {
                var (record, decision) = Decide(request, check, history, patientKey, fingerprint, policy);
                built = decision;
                return record;
            },
            cancellationToken);

        // A new decision is answered as it was built (its payload is exactly its serialised form);
        // a replay, or any build that is not the committed one, is parsed back from the ledger.
        var decision = !result.Replayed && built?.DecisionId == result.Decision.DecisionId
            ? built
            : Decision.Parser.ParseFrom(result.Decision.Payload);
        if (!result.Replayed)
        {
            metrics.Decided(platformId, decision);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            LogDecision(
                logger,
                decision.DecisionId,
                platformId,
                decision.Outcome,
                FindingCodes(decision),
                decision.PolicyVersion,
                result.Replayed,
                decision.DryRun);
        }

        return decision;
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "decision {DecisionId} platform {PlatformId} outcome {Outcome} findings {FindingCodes} policy {PolicyVersion} replayed {Replayed} dry_run {DryRun}")]
    private static partial void LogDecision(
        ILogger logger, string decisionId, string platformId, PrescribeGuard.V1.Outcome outcome, string findingCodes, string policyVersion, bool replayed, bool dryRun);

    private static string FindingCodes(Decision decision) => decision.Findings.Count switch
    {
        0 => string.Empty,
        1 => decision.Findings[0].Code,
        _ => string.Join(",", decision.Findings.Select(f => f.Code)),
    };

    private (DecisionRecord Record, Decision Decision) Decide(
        CheckPrescriptionRequest request,
        PrescriptionCheck check,
        PatientHistory history,
        PatientKey patientKey,
        string fingerprint,
        Domain.Policy.GuardPolicy policy)
    {
        if (check.RefillOfPrescriptionId is { } refillOf &&
            !history.Prescriptions.Any(p => p.PlatformId == check.PlatformId && p.PrescriptionId == refillOf))
        {
            throw GuardException.Precondition("PRESCRIPTION_NOT_FOUND", "refill_of_prescription_id names no prescription this platform recorded for this patient");
        }

        var evaluation = evaluator.Evaluate(check, history, policy);
        var decisionId = "dec_" + Guid.CreateVersion7().ToString("N");
        var reserves = !request.DryRun && !check.IsRefill && evaluation.Outcome != Domain.Evaluation.Outcome.Deny;
        var reservation = reserves
            ? new ReservationEntry(check.PlatformId, decisionId, check.Prescriber.Npi, check.Medication, check.EvaluatedAt, check.EvaluatedAt + policy.ReservationTtl)
            : null;
        var decision = ToContract.Decision(decisionId, request.RequestId, evaluation, check.EvaluatedAt, reservation?.ExpiresAt, request.DryRun);
        var record = new DecisionRecord(
            decisionId,
            check.PlatformId,
            request.RequestId,
            fingerprint,
            patientKey,
            evaluation.Outcome,
            request.DryRun,
            policy.Version,
            check.EvaluatedAt,
            reservation,
            reserves ? ReservationState.Pending : ReservationState.None,
            null,
            decision.ToByteArray());
        return (record, decision);
    }
}
