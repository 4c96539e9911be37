namespace PrescribeGuard.Domain.Rules;

/// <summary>The set of rules the evaluator knows, in the order their findings are reported.</summary>
public sealed class RuleCatalog
{
    public RuleCatalog(IEnumerable<IRule> rules)
    {
        Rules = rules.ToArray();
        var duplicate = Rules.GroupBy(r => r.Code).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"rule {duplicate.Key} is registered twice", nameof(rules));
        }
    }

    public IReadOnlyList<IRule> Rules { get; }

    public IRule? Find(string code) => Rules.FirstOrDefault(r => r.Code == code);
}
