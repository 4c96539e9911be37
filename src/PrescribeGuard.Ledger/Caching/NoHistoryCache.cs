using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Ledger.Caching;

/// <summary>Every check reads its history from the ledger.</summary>
public sealed class NoHistoryCache : IHistoryCache
{
    public ValueTask<PatientHistory?> GetAsync(PatientKey patientKey, long revision, CancellationToken cancellationToken) => ValueTask.FromResult<PatientHistory?>(null);

    public ValueTask SetAsync(PatientKey patientKey, long revision, PatientHistory history, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask InvalidateAsync(PatientKey patientKey, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
