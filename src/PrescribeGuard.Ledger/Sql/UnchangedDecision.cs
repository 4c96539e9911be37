using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// A decision that reserves nothing, made on the patient's history at <paramref name="Revision"/>
/// (cached or read ahead), to be written only if that revision is still current;
/// <see cref="Written"/> completes with whether it was.
/// </summary>
internal sealed record UnchangedDecision(DecideRequest Request, long Revision, DecisionRecord Decision)
{
    public TaskCompletionSource<bool> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
