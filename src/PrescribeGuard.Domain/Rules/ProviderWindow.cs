using PrescribeGuard.Domain.History;

namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The prescribers and pharmacies seen in a recent window, with this request's own counted in:
/// shared by the two multiple-provider rules so they cannot drift apart (and, through
/// <see cref="RuleContext.ProviderWindowOf"/>, computed once when their windows agree).
/// </summary>
internal sealed class ProviderWindow
{
    private ProviderWindow(
        TimeSpan window,
        IReadOnlyList<PrescriptionEntry> prescriptions,
        IReadOnlyList<DispenseEntry> dispenses,
        IReadOnlySet<string> prescribers,
        IReadOnlySet<string> pharmacies)
    {
        Window = window;
        Prescriptions = prescriptions;
        Dispenses = dispenses;
        Prescribers = prescribers;
        Pharmacies = pharmacies;
    }

    public TimeSpan Window { get; }

    public IReadOnlyList<PrescriptionEntry> Prescriptions { get; }

    public IReadOnlyList<DispenseEntry> Dispenses { get; }

    /// <summary>Distinct prescriber NPIs in the window, including this request's prescriber.</summary>
    public IReadOnlySet<string> Prescribers { get; }

    /// <summary>Distinct pharmacies in the window, including this request's pharmacy when named.</summary>
    public IReadOnlySet<string> Pharmacies { get; }

    public EvidenceRef[] Evidence()
    {
        var evidence = new EvidenceRef[Prescriptions.Count + Dispenses.Count];
        var at = 0;
        foreach (var prescription in Prescriptions)
        {
            evidence[at++] = RuleContext.Evidence(prescription);
        }

        foreach (var dispense in Dispenses)
        {
            evidence[at++] = RuleContext.Evidence(dispense);
        }

        return evidence;
    }

    public static ProviderWindow Of(RuleContext context, TimeSpan window)
    {
        var since = context.Now - window;
        var prescriptions = new List<PrescriptionEntry>();
        var prescribers = new HashSet<string>(StringComparer.Ordinal) { context.Check.Prescriber.Npi };
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.IssuedAt >= since)
            {
                prescriptions.Add(prescription);
                prescribers.Add(prescription.PrescriberNpi);
            }
        }

        var dispenses = new List<DispenseEntry>();
        var pharmacies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dispense in context.Dispenses)
        {
            if (dispense.DispensedAt >= since)
            {
                dispenses.Add(dispense);
                pharmacies.Add(dispense.PharmacyId);
            }
        }

        if (context.Check.PharmacyId is { } pharmacy)
        {
            pharmacies.Add(pharmacy);
        }

        return new ProviderWindow(window, prescriptions, dispenses, prescribers, pharmacies);
    }
}
