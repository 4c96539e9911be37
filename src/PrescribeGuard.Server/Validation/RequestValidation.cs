using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Validation;

/// <summary>
/// One method a request: every violated field is collected before INVALID_ARGUMENT is thrown, so
/// nothing is ever written for an invalid request.
/// </summary>
public static class RequestValidation
{
    public const int MaxOverrideCommentLength = 2000;

    public static ValidatedPatient Check(this FieldViolations v, CheckPrescriptionRequest request)
    {
        v.Id(request.RequestId, "request_id");
        var birthDate = v.Patient(request.Patient, "patient", locationRequired: true);
        v.Prescriber(request.Prescriber, "prescriber");
        v.Medication(request.Medication, "medication");
        if (request.Medication is { DrugClass: not (DrugClass.Ketamine or DrugClass.Esketamine or DrugClass.Unspecified) } medication &&
            Enum.IsDefined(medication.DrugClass))
        {
            v.Add("medication.drug_class", "CheckPrescription guards ketamine and esketamine only");
        }

        v.Enum(request.EncounterMode, "encounter_mode");
        var pharmacyId = v.Pharmacy(request.Pharmacy, "pharmacy", required: false);
        v.Id(request.RefillOfPrescriptionId, "refill_of_prescription_id", required: false);
        if (request.AsOf is not null)
        {
            if (!request.DryRun)
            {
                v.Add("as_of", "is accepted only with dry_run");
            }
            else if (!FieldViolations.TryConvert(request.AsOf, out var asOf) || asOf.Year < 2000 || asOf > v.Now.AddYears(10))
            {
                v.Add("as_of", "must be a valid timestamp between 2000 and ten years from now");
            }
        }

        v.ThrowIfAny();
        return new ValidatedPatient(birthDate!.Value, pharmacyId);
    }

    public static ValidatedPatient Record(this FieldViolations v, RecordPrescriptionRequest request)
    {
        v.Id(request.PrescriptionId, "prescription_id");
        var birthDate = v.Patient(request.Patient, "patient", locationRequired: false);
        v.Prescriber(request.Prescriber, "prescriber");
        v.Medication(request.Medication, "medication");
        v.PastTime(request.IssuedAt, "issued_at");
        var needsDecision = request.Medication?.DrugClass is DrugClass.Ketamine or DrugClass.Esketamine && !request.HistoricalImport;
        v.Id(request.DecisionId, "decision_id", required: needsDecision);
        if (request.HistoricalImport && request.DecisionId.Length > 0)
        {
            v.Add("decision_id", "must be empty for a historical import");
        }

        v.Text(request.OverrideReasonCode, "override_reason_code", 64, required: false);
        v.Require(request.OverrideReasonCode.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'), "override_reason_code", "must be an UPPER_SNAKE code");
        v.Text(request.OverrideComment, "override_comment", MaxOverrideCommentLength, required: false);
        v.ThrowIfAny();
        return new ValidatedPatient(birthDate!.Value, null);
    }

    public static void Release(this FieldViolations v, ReleaseDecisionRequest request)
    {
        v.Id(request.DecisionId, "decision_id");
        v.ThrowIfAny();
    }

    public static void Get(this FieldViolations v, GetDecisionRequest request)
    {
        v.Id(request.DecisionId, "decision_id");
        v.ThrowIfAny();
    }

    public static ValidatedPatient Dispense(this FieldViolations v, RecordDispenseRequest request)
    {
        v.Id(request.DispenseId, "dispense_id");
        v.Id(request.PrescriptionId, "prescription_id");
        var birthDate = v.Patient(request.Patient, "patient", locationRequired: false);
        var pharmacyId = v.Pharmacy(request.Pharmacy, "pharmacy", required: true);
        v.PastTime(request.DispensedAt, "dispensed_at");
        v.Range(request.FillNumber, 0, 99, "fill_number");
        v.Require(request.TotalMg >= MessageValidation.MinMilligrams && request.TotalMg <= 1_000_000, "total_mg", "must be at least 0.001 (a microgram) and at most 1000000");
        v.Range(request.DaysSupply, 1, 365, "days_supply");
        v.ThrowIfAny();
        return new ValidatedPatient(birthDate!.Value, pharmacyId);
    }

    public static ValidatedPatient Encounter(this FieldViolations v, RecordEncounterRequest request)
    {
        v.Id(request.EncounterId, "encounter_id");
        var birthDate = v.Patient(request.Patient, "patient", locationRequired: false);
        // An in-person evaluation is a practitioner's (it stands in for the prescriber's own under
        // 21 USC 829(e)); a supervised dose may be observed by a nurse without a DEA registration.
        v.Prescriber(request.Clinician, "clinician", deaRequired: request.Kind != EncounterKind.SupervisedAdministration);
        v.Enum(request.Kind, "kind");
        v.PastTime(request.OccurredAt, "occurred_at");
        v.State(request.LocationState, "location_state");
        v.Range(request.MonitoringMinutes, 0, 24 * 60, "monitoring_minutes");
        if (request.BloodPressure is not null)
        {
            v.BloodPressure(request.BloodPressure, "blood_pressure");
        }

        if (request.Kind == EncounterKind.SupervisedAdministration || request.Medication is not null)
        {
            v.Medication(request.Medication, "medication");
        }

        v.ThrowIfAny();
        return new ValidatedPatient(birthDate!.Value, null);
    }
}

/// <summary>What validation already parsed and the handlers need.</summary>
public readonly record struct ValidatedPatient(DateOnly BirthDate, string? PharmacyId);
