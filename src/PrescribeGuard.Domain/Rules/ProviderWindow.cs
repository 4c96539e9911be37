namespace PrescribeGuard.Domain.Rules;

/// <summary>
/// The prescribers and pharmacies seen in a recent window, with this request's own counted in:
/// shared by the two multiple-provider rules so they cannot drift apart (and, through
/// <see cref="RuleContext.ProviderWindowOf"/>, computed once when their windows agree).
/// Only the counts are kept; the records are walked again for the evidence in the rare case a
/// rule fires, which costs less than keeping lists and sets for every check.
/// </summary>
internal readonly record struct ProviderWindow(TimeSpan Window, DateTimeOffset Since, int Prescribers, int Pharmacies)
{
    /// <summary>Distinct prescribers other than this request's (which <see cref="Prescribers"/> always counts).</summary>
    public int OtherPrescribers => Prescribers - 1;

    public static ProviderWindow Of(RuleContext context, TimeSpan window)
    {
        var since = context.Now - window;
        var prescribers = DistinctCount.Rent();
        prescribers.Add(context.Check.Prescriber.Npi);
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.IssuedAt >= since)
            {
                prescribers.Add(prescription.PrescriberNpi);
            }
        }

        var prescriberCount = DistinctCount.Return(prescribers);

        var pharmacies = DistinctCount.Rent();
        foreach (var dispense in context.Dispenses)
        {
            if (dispense.DispensedAt >= since)
            {
                pharmacies.Add(dispense.PharmacyId);
            }
        }

        if (context.Check.PharmacyId is { } pharmacy)
        {
            pharmacies.Add(pharmacy);
        }

        return new ProviderWindow(window, since, prescriberCount, DistinctCount.Return(pharmacies));
    }

    /// <summary>The caller's prescriptions, then fills, of the window.</summary>
    public CallerEvidence Evidence(RuleContext context)
    {
        using var evidence = context.CollectEvidence();
        foreach (var prescription in context.Prescriptions)
        {
            if (prescription.IssuedAt >= Since)
            {
                evidence.Add(RuleContext.Evidence(prescription));
            }
        }

        foreach (var dispense in context.Dispenses)
        {
            if (dispense.DispensedAt >= Since)
            {
                evidence.Add(RuleContext.Evidence(dispense));
            }
        }

        return evidence.ToEvidence();
    }
}
