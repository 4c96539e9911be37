using System.Collections;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// A read-only list of history records that <c>foreach</c> walks without allocating. A foreach over
/// an <see cref="IReadOnlyList{T}"/> boxes its enumerator (32-40 bytes), and the rules walk the
/// history a few dozen times per check; this struct's enumerator stays on the stack.
/// </summary>
public readonly struct RecordList<T> : IReadOnlyList<T>
{
    private readonly IReadOnlyList<T> _records;

    public RecordList(IReadOnlyList<T> records) => _records = records;

    public int Count => _records.Count;

    public T this[int index] => _records[index];

    public Enumerator GetEnumerator() => new(_records);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => _records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _records.GetEnumerator();

    public struct Enumerator
    {
        private readonly IReadOnlyList<T> _records;
        private int _index;

        internal Enumerator(IReadOnlyList<T> records)
        {
            _records = records;
            _index = -1;
        }

        public readonly T Current => _records[_index];

        public bool MoveNext() => ++_index < _records.Count;
    }
}
