using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Server.Policy;

/// <summary>
/// Holds the active policy. A new policy replaces the old one atomically, and only after it
/// validated, so a bad file never leaves the guard without rules.
/// </summary>
public sealed class PolicyProvider(RuleCatalog catalog)
{
    private GuardPolicy? _current;
    private long _loadFailures;

    public GuardPolicy Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("no policy is loaded");

    public bool IsLoaded => Volatile.Read(ref _current) is not null;

    public RuleCatalog Catalog { get; } = catalog;

    /// <summary>How many policy files failed to load or validate since start (exported as a metric).</summary>
    public long LoadFailures => Interlocked.Read(ref _loadFailures);

    /// <summary>Loads and activates a policy file; throws <see cref="PolicyValidationException"/> and keeps the old one when it is invalid.</summary>
    public GuardPolicy Load(string path)
    {
        GuardPolicy policy;
        try
        {
            policy = PolicyParser.Parse(Read(path), Catalog);
        }
        catch
        {
            Interlocked.Increment(ref _loadFailures);
            throw;
        }

        Volatile.Write(ref _current, policy);
        return policy;
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PolicyValidationException([$"cannot read policy file {path}: {ex.Message}"]);
        }
    }
}
