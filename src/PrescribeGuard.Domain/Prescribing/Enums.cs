namespace PrescribeGuard.Domain.Prescribing;

public enum DrugClass { Ketamine, Esketamine, Opioid, Buprenorphine, Benzodiazepine, Stimulant, OtherControlled }

public enum Route { Oral, Sublingual, Intranasal, Intramuscular, Intravenous, Subcutaneous }

public enum AdministrationSetting { HomeUse, ClinicAdministered }

public enum EncounterMode { InPerson, TelemedicineAudioVideo, TelemedicineAudioOnly }

public enum EncounterKind { InPersonEvaluation, SupervisedAdministration }

public enum RiskFactor
{
    SubstanceUseDisorder,
    PsychosisHistory,
    PregnantOrBreastfeeding,
    AneurysmalVascularDisease,
    ArteriovenousMalformation,
    IntracerebralHemorrhage,
    UncontrolledHypertension,
    CardiovascularDisease,
}

public static class DrugClassExtensions
{
    public static bool IsKetamine(this DrugClass drugClass) =>
        drugClass is DrugClass.Ketamine or DrugClass.Esketamine;

    public static bool IsCnsDepressant(this DrugClass drugClass) =>
        drugClass is DrugClass.Opioid or DrugClass.Benzodiazepine or DrugClass.Buprenorphine;
}
