using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The encounters of one kind (in-person evaluations, supervised administrations), filtered as they
/// are walked: an array of them per check would be allocated only to be walked once or twice.
/// </summary>
public readonly struct EncounterKindList(RecordList<EncounterEntry> encounters, EncounterKind kind)
{
    public bool IsEmpty
    {
        get
        {
            foreach (var encounter in encounters)
            {
                if (encounter.Kind == kind)
                {
                    return false;
                }
            }

            return true;
        }
    }

    public Enumerator GetEnumerator() => new(encounters.GetEnumerator(), kind);

    public struct Enumerator
    {
        private readonly EncounterKind _kind;
        private RecordList<EncounterEntry>.Enumerator _encounters;

        internal Enumerator(RecordList<EncounterEntry>.Enumerator encounters, EncounterKind kind)
        {
            _encounters = encounters;
            _kind = kind;
        }

        public readonly EncounterEntry Current => _encounters.Current;

        public bool MoveNext()
        {
            while (_encounters.MoveNext())
            {
                if (_encounters.Current.Kind == _kind)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
