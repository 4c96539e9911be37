namespace PrescribeGuard.Domain.Rules;

/// <summary>The domain's default rules, in the order of policy/default.json and of reported findings.</summary>
public static class DefaultRules
{
    public static RuleCatalog Create() => new(
    [
        new RefillAfterSixMonthsRule(),
        new RefillLimitExceededRule(),
        new RefillTooEarlyRule(),
        new InPersonEvaluationRequiredRule(),
        new InPersonEvaluationStaleRule(),
        new AudioOnlyEncounterRule(),
        new TelemedicineSupplyLimitRule(),
        new PrescriberNotAuthorizedInStateRule(),
        new ClinicOnlyProductRule(),
        new SupervisedFirstDoseRequiredRule(),
        new MonitoringTooShortRule(),
        new DuplicateActiveKetamineRule(),
        new MultipleProviderEpisodeRule(),
        new MultipleProvidersRule(),
        new ConcurrentCnsDepressantRule(),
        new SubstanceUseDisorderRule(),
        new ContraindicatedConditionRule(),
        new PsychosisHistoryRule(),
        new CardiovascularDiseaseRule(),
        new PregnancyRule(),
        new BloodPressureRule(),
        new DoseAboveRangeRule(),
        new SessionFrequencyRule(),
        new CumulativeDoseRule(),
    ]);
}
