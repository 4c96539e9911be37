namespace PrescribeGuard.Domain.Prescribing;

/// <summary>What the patient's platform reports about the patient at the time of the check.</summary>
public sealed record PatientFacts(
    string LocationState,
    IReadOnlySet<RiskFactor> RiskFactors,
    BloodPressure? LatestBloodPressure,
    double? WeightKg)
{
    /// <summary>
    /// The zone of <see cref="LocationState"/> (see Identifiers.UsStates.TimeZoneId), in whose
    /// calendar the legal dates are counted; resolved by the caller, so the rules read no time zone
    /// database. UTC where none is given.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
}

public sealed record PrescriberFacts(string Npi, string DeaNumber, IReadOnlySet<string> AuthorizedStates);

/// <summary>
/// The question a platform asks: may this prescription be issued at <see cref="EvaluatedAt"/>?
/// <see cref="RefillOfPrescriptionId"/> names a prescription of the same platform being refilled.
/// </summary>
public sealed record PrescriptionCheck(
    string PlatformId,
    PatientFacts Patient,
    PrescriberFacts Prescriber,
    Medication Medication,
    EncounterMode EncounterMode,
    string? PharmacyId,
    string? RefillOfPrescriptionId,
    DateTimeOffset EvaluatedAt)
{
    public bool IsRefill => RefillOfPrescriptionId is not null;

    public bool IsTelemedicine => EncounterMode != EncounterMode.InPerson;
}
