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

    public GuardPolicy Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("no policy is loaded");

    public bool IsLoaded => Volatile.Read(ref _current) is not null;

    public RuleCatalog Catalog { get; } = catalog;

    /// <summary>Loads and activates a policy file; throws <see cref="PolicyValidationException"/> and keeps the old one when it is invalid.</summary>
    public GuardPolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PolicyValidationException([$"cannot read policy file {path}: {ex.Message}"]);
        }

        var policy = PolicyParser.Parse(text, Catalog);
        Volatile.Write(ref _current, policy);
        return policy;
    }
}
