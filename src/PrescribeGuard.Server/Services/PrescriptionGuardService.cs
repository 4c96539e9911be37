using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using PrescribeGuard.Server.Application;
using PrescribeGuard.Server.Security;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Services;

/// <summary>The gRPC surface: names the caller and hands the request to its handler.</summary>
public sealed class PrescriptionGuardService(CheckPrescriptionHandler checks, RecordHandler records)
    : PrescriptionGuard.PrescriptionGuardBase
{
    [Authorize(Roles = GuardRoles.Platform)]
    public override Task<Decision> CheckPrescription(CheckPrescriptionRequest request, ServerCallContext context) =>
        checks.HandleAsync(request, CallingPlatform.From(context), context.CancellationToken);

    [Authorize(Roles = GuardRoles.Platform)]
    public override Task<RecordPrescriptionResponse> RecordPrescription(RecordPrescriptionRequest request, ServerCallContext context) =>
        records.PrescriptionAsync(request, CallingPlatform.From(context), context.CancellationToken);

    [Authorize(Roles = GuardRoles.Platform)]
    public override Task<ReleaseDecisionResponse> ReleaseDecision(ReleaseDecisionRequest request, ServerCallContext context) =>
        records.ReleaseAsync(request, CallingPlatform.From(context), context.CancellationToken);

    [Authorize(Roles = GuardRoles.Platform)]
    public override Task<RecordDispenseResponse> RecordDispense(RecordDispenseRequest request, ServerCallContext context) =>
        records.DispenseAsync(request, CallingPlatform.From(context), context.CancellationToken);

    [Authorize(Roles = GuardRoles.Platform)]
    public override Task<RecordEncounterResponse> RecordEncounter(RecordEncounterRequest request, ServerCallContext context) =>
        records.EncounterAsync(request, CallingPlatform.From(context), context.CancellationToken);

    /// <summary>A platform reads its own decisions; an auditor reads any platform's.</summary>
    [Authorize(Roles = GuardRoles.Platform + "," + GuardRoles.Auditor)]
    public override Task<Decision> GetDecision(GetDecisionRequest request, ServerCallContext context) =>
        records.GetDecisionAsync(
            request,
            CallingPlatform.IsAuditor(context) ? null : CallingPlatform.From(context),
            context.CancellationToken);
}
