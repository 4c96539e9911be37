using PrescribeGuard.Ledger.Records;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// A decision that reserves nothing, made on the patient's history at <see cref="Revision"/>
/// (cached or read ahead), to be written only if that revision is still current;
/// <see cref="Written"/> completes with whether it was.
/// </summary>
/// <remarks>
/// A caller that gives up while the decision is still queued is answered at once and the decision is
/// never written. Once a writer took it, it is written or not with its batch and the caller is told
/// which, so no caller hears "cancelled" about a decision that was committed.
/// </remarks>
internal sealed class UnchangedDecision
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private readonly CancellationTokenRegistration _registration;
    private int _state;

    public UnchangedDecision(DecideRequest request, long revision, DecisionRecord decision, CancellationToken cancellationToken)
    {
        (Request, Revision, Decision, CancellationToken) = (request, revision, decision, cancellationToken);
        _registration = cancellationToken.Register(static state => ((UnchangedDecision)state!).Cancel(), this);
    }

    public DecideRequest Request { get; }

    public long Revision { get; }

    public DecisionRecord Decision { get; }

    /// <summary>The caller's: honoured until a writer takes the decision, and by a write of it alone.</summary>
    public CancellationToken CancellationToken { get; }

    public TaskCompletionSource<bool> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Claims the decision for a writer; false if its caller gave up first (it is then not to be written).</summary>
    public bool TryTake()
    {
        if (Interlocked.CompareExchange(ref _state, Taken, Queued) != Queued)
        {
            return false;
        }

        _registration.Unregister();
        return true;
    }

    private void Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            Written.TrySetCanceled(CancellationToken);
        }
    }
}
