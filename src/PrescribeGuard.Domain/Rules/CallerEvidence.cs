namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The record ids a finding rests on that belong to the calling platform, in the order found and
/// without repeats. Another platform's ids would tell the caller who else treats the patient, so
/// they are dropped as they are collected: only <see cref="Collector"/> makes a non-empty one, and
/// a rule never allocates a list of other platforms' references only to have it thrown away.
/// </summary>
public readonly struct CallerEvidence
{
    private readonly string[]? _ids;

    private CallerEvidence(string[] ids) => _ids = ids;

    public static CallerEvidence None => default;

    public IReadOnlyList<string> Ids => _ids ?? [];

    /// <summary>
    /// Collects the caller's ids of a hit. Rented per thread and reused (see <see cref="Rent"/>): the
    /// evaluator is shared by concurrent requests, and a pooled buffer spares every finding a list
    /// that regrows while the rule walks the history.
    /// </summary>
    public sealed class Collector : IDisposable
    {
        // Above this many ids the buffer is left to the GC rather than kept by the thread.
        private const int MaxKeptCapacity = 1024;

        [ThreadStatic]
        private static Collector? t_spare;

        private readonly List<string> _ids = new(16);
        private string _callerPlatformId = string.Empty;

        private Collector()
        {
        }

        /// <summary>
        /// The thread's spare collector, or a new one when it is in use (a rule nesting collections)
        /// or the thread has none yet. <see cref="Dispose"/> gives it back.
        /// </summary>
        public static Collector Rent(string callerPlatformId)
        {
            var collector = t_spare ?? new Collector();
            t_spare = null;
            collector._callerPlatformId = callerPlatformId;
            return collector;
        }

        /// <summary>Keeps the record id when the caller's platform owns it and it is not already kept.</summary>
        public void Add(EvidenceRef reference)
        {
            // Linear look-up: a finding names a handful of records, where a set would cost more than it saves.
            if (reference.PlatformId == _callerPlatformId && !_ids.Contains(reference.RecordId))
            {
                _ids.Add(reference.RecordId);
            }
        }

        /// <summary>The ids kept so far, copied into an array of exactly their number.</summary>
        public CallerEvidence ToEvidence() => _ids.Count == 0 ? None : new CallerEvidence([.. _ids]);

        public void Dispose()
        {
            _ids.Clear();
            if (_ids.Capacity <= MaxKeptCapacity)
            {
                t_spare = this;
            }
        }
    }
}
