using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The encounters of one kind (in-person evaluations, supervised administrations), filtered as they
/// are walked: an array of them per check would be allocated only to be walked once or twice.
/// With <c>ketamineOnly</c>, only those of ketamine or esketamine: an observed dose of another drug
/// shows nothing of how the patient takes ketamine.
/// </summary>
public readonly struct EncounterKindList(RecordList<EncounterEntry> encounters, EncounterKind kind, bool ketamineOnly = false)
{
    public bool IsEmpty
    {
        get
        {
            foreach (var encounter in encounters)
            {
                if (Matches(encounter, kind, ketamineOnly))
                {
                    return false;
                }
            }

            return true;
        }
    }

    public Enumerator GetEnumerator() => new(encounters.GetEnumerator(), kind, ketamineOnly);

    private static bool Matches(EncounterEntry encounter, EncounterKind kind, bool ketamineOnly) =>
        encounter.Kind == kind && (!ketamineOnly || encounter.Medication?.DrugClass.IsKetamine() == true);

    public struct Enumerator
    {
        private readonly EncounterKind _kind;
        private readonly bool _ketamineOnly;
        private RecordList<EncounterEntry>.Enumerator _encounters;

        internal Enumerator(RecordList<EncounterEntry>.Enumerator encounters, EncounterKind kind, bool ketamineOnly)
        {
            _encounters = encounters;
            _kind = kind;
            _ketamineOnly = ketamineOnly;
        }

        public readonly EncounterEntry Current => _encounters.Current;

        public bool MoveNext()
        {
            while (_encounters.MoveNext())
            {
                if (Matches(_encounters.Current, _kind, _ketamineOnly))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
