using PrescribeGuard.Domain.History;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The prescribers and pharmacies seen in a recent window, with this request's own counted in:
/// shared by the two multiple-provider rules so they cannot drift apart.
/// </summary>
internal sealed class ProviderWindow
{
    private ProviderWindow(
        IReadOnlyList<PrescriptionEntry> prescriptions,
        IReadOnlyList<DispenseEntry> dispenses,
        IReadOnlySet<string> prescribers,
        IReadOnlySet<string> pharmacies)
    {
        Prescriptions = prescriptions;
        Dispenses = dispenses;
        Prescribers = prescribers;
        Pharmacies = pharmacies;
    }

    public IReadOnlyList<PrescriptionEntry> Prescriptions { get; }

    public IReadOnlyList<DispenseEntry> Dispenses { get; }

    /// <summary>Distinct prescriber NPIs in the window, including this request's prescriber.</summary>
    public IReadOnlySet<string> Prescribers { get; }

    /// <summary>Distinct pharmacies in the window, including this request's pharmacy when named.</summary>
    public IReadOnlySet<string> Pharmacies { get; }

    public IEnumerable<EvidenceRef> Evidence =>
        Prescriptions.Select(RuleContext.Evidence).Concat(Dispenses.Select(RuleContext.Evidence));

    public static ProviderWindow Of(RuleContext context, TimeSpan window)
    {
        var since = context.Now - window;
        var prescriptions = context.Prescriptions.Where(p => p.IssuedAt >= since).ToArray();
        var dispenses = context.Dispenses.Where(d => d.DispensedAt >= since).ToArray();

        var prescribers = new HashSet<string>(prescriptions.Select(p => p.PrescriberNpi), StringComparer.Ordinal)
        {
            context.Check.Prescriber.Npi,
        };
        var pharmacies = new HashSet<string>(dispenses.Select(d => d.PharmacyId), StringComparer.Ordinal);
        if (context.Check.PharmacyId is { } pharmacy)
        {
            pharmacies.Add(pharmacy);
        }

        return new ProviderWindow(prescriptions, dispenses, prescribers, pharmacies);
    }
}
