using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Tests;

/// <summary>The pooled helpers of the rules: per-thread buffers must never leak one check's data into another's.</summary>
public sealed class EvidenceCollectionTests
{
    [Fact]
    public void The_collector_keeps_the_callers_ids_once_in_the_order_found()
    {
        using var evidence = CallerEvidence.Collector.Rent(Fixed.Caller);
        evidence.Add(new EvidenceRef(Fixed.Caller, "rx-2"));
        evidence.Add(new EvidenceRef(Fixed.Other, "rx-9"));
        evidence.Add(new EvidenceRef(Fixed.Caller, "rx-1"));
        evidence.Add(new EvidenceRef(Fixed.Caller, "rx-2"));

        Assert.Equal(["rx-2", "rx-1"], evidence.ToEvidence().Ids);
    }

    [Fact]
    public void Only_other_platforms_ids_make_no_evidence()
    {
        using var evidence = CallerEvidence.Collector.Rent(Fixed.Caller);
        evidence.Add(new EvidenceRef(Fixed.Other, "rx-9"));

        Assert.Empty(evidence.ToEvidence().Ids);
        Assert.Empty(CallerEvidence.None.Ids);
    }

    [Fact]
    public void A_returned_collector_starts_empty_for_the_next_caller()
    {
        var first = CallerEvidence.Collector.Rent(Fixed.Caller);
        first.Add(new EvidenceRef(Fixed.Caller, "rx-1"));
        var kept = first.ToEvidence();
        first.Dispose();

        using var second = CallerEvidence.Collector.Rent(Fixed.Other);
        second.Add(new EvidenceRef(Fixed.Other, "rx-9"));

        Assert.Same(first, second);
        Assert.Equal(["rx-9"], second.ToEvidence().Ids);
        Assert.Equal(["rx-1"], kept.Ids);
    }

    [Fact]
    public void Nested_collections_get_their_own_collector()
    {
        using var outer = CallerEvidence.Collector.Rent(Fixed.Caller);
        using var inner = CallerEvidence.Collector.Rent(Fixed.Caller);
        outer.Add(new EvidenceRef(Fixed.Caller, "rx-1"));
        inner.Add(new EvidenceRef(Fixed.Caller, "rx-2"));

        Assert.NotSame(outer, inner);
        Assert.Equal(["rx-1"], outer.ToEvidence().Ids);
        Assert.Equal(["rx-2"], inner.ToEvidence().Ids);
    }

    [Fact]
    public void Collectors_on_concurrent_threads_do_not_mix()
    {
        Parallel.For(0, 200, i =>
        {
            var platform = $"platform-{i}";
            using var evidence = CallerEvidence.Collector.Rent(platform);
            for (var j = 0; j < 20; j++)
            {
                evidence.Add(new EvidenceRef(platform, $"{i}-{j}"));
                evidence.Add(new EvidenceRef("someone-else", $"x-{j}"));
            }

            Assert.Equal(Enumerable.Range(0, 20).Select(j => $"{i}-{j}"), evidence.ToEvidence().Ids);
        });
    }

    [Fact]
    public void Distinct_counts_start_from_an_empty_set_each_time()
    {
        var set = DistinctCount.Rent();
        set.Add("a");
        set.Add("b");
        set.Add("a");
        Assert.Equal(2, DistinctCount.Return(set));

        var again = DistinctCount.Rent();
        Assert.Empty(again);
        again.Add("c");
        Assert.Equal(1, DistinctCount.Return(again));
    }

    [Fact]
    public void A_record_list_walks_its_records_in_order()
    {
        var records = new RecordList<string>(["a", "b", "c"]);

        var walked = new List<string>();
        foreach (var record in records)
        {
            walked.Add(record);
        }

        Assert.Equal(["a", "b", "c"], walked);
        Assert.Equal(3, records.Count);
        Assert.Equal("b", records[1]);
        Assert.Equal(["a", "b", "c"], records.ToArray());
    }
}
