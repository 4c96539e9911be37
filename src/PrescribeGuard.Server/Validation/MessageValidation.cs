using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Validation;

/// <summary>Checks of the messages several requests share; paths are prefixed with the field holding them.</summary>
public static class MessageValidation
{
    public const int MaxRiskFactors = 16;
    public const int MaxAuthorizedStates = 60;
    public const double MinMilligrams = 0.001;

    /// <summary>Validates a patient and returns the birth date when it is valid.</summary>
    public static DateOnly? Patient(this FieldViolations v, Patient? patient, string path, bool locationRequired)
    {
        if (patient is null)
        {
            v.Add(path, "is required");
            return null;
        }

        v.Id(patient.PlatformPatientId, $"{path}.platform_patient_id");
        v.Name(patient.GivenName, $"{path}.given_name");
        v.Name(patient.FamilyName, $"{path}.family_name");
        var birthDate = v.BirthDate(patient.BirthDate, $"{path}.birth_date");
        v.State(patient.LocationState, $"{path}.location_state", locationRequired);
        if (v.Require(patient.RiskFactors.Count <= MaxRiskFactors, $"{path}.risk_factors", $"must hold at most {MaxRiskFactors} entries"))
        {
            for (var i = 0; i < patient.RiskFactors.Count; i++)
            {
                v.Enum(patient.RiskFactors[i], $"{path}.risk_factors[{i}]");
            }
        }

        if (patient.LatestBloodPressure is not null)
        {
            v.BloodPressure(patient.LatestBloodPressure, $"{path}.latest_blood_pressure");
        }

        v.Require(patient.WeightKg == 0 || (patient.WeightKg >= 1 && patient.WeightKg <= 500), $"{path}.weight_kg", "must be 0 (unknown) or between 1 and 500");
        return birthDate;
    }

    public static void BloodPressure(this FieldViolations v, BloodPressure reading, string path)
    {
        v.Range(reading.Systolic, 50, 300, $"{path}.systolic");
        v.Range(reading.Diastolic, 20, 200, $"{path}.diastolic");
        v.Require(reading.Diastolic < reading.Systolic, $"{path}.diastolic", "must be lower than systolic");
        v.PastTime(reading.MeasuredAt, $"{path}.measured_at");
    }

    /// <param name="deaRequired">False for the clinician of a supervised dose: whoever observes it
    /// (often a nurse) need not hold a DEA registration; one that is given must still be valid.</param>
    public static void Prescriber(this FieldViolations v, Prescriber? prescriber, string path, bool deaRequired = true)
    {
        if (prescriber is null)
        {
            v.Add(path, "is required");
            return;
        }

        v.Npi(prescriber.Npi, $"{path}.npi");
        if (deaRequired || prescriber.DeaNumber.Length > 0)
        {
            v.Dea(prescriber.DeaNumber, $"{path}.dea_number");
        }

        if (v.Require(prescriber.AuthorizedStates.Count <= MaxAuthorizedStates, $"{path}.authorized_states", $"must hold at most {MaxAuthorizedStates} entries"))
        {
            for (var i = 0; i < prescriber.AuthorizedStates.Count; i++)
            {
                v.State(prescriber.AuthorizedStates[i], $"{path}.authorized_states[{i}]");
            }
        }
    }

    /// <summary>Validates a pharmacy and returns its id ("ncpdp:…" or "npi:…") when valid.</summary>
    public static string? Pharmacy(this FieldViolations v, Pharmacy? pharmacy, string path, bool required)
    {
        if (pharmacy is null)
        {
            v.Require(!required, path, "is required");
            return null;
        }

        var hasNcpdp = pharmacy.NcpdpId.Length > 0;
        var hasNpi = pharmacy.Npi.Length > 0;
        if (hasNcpdp == hasNpi)
        {
            v.Add(path, "exactly one of ncpdp_id or npi is required");
            return null;
        }

        if (hasNcpdp)
        {
            return v.Require(pharmacy.NcpdpId.Length == 7 && pharmacy.NcpdpId.All(char.IsAsciiDigit), $"{path}.ncpdp_id", "must be 7 digits")
                ? "ncpdp:" + pharmacy.NcpdpId
                : null;
        }

        v.Npi(pharmacy.Npi, $"{path}.npi");
        return Domain.Identifiers.Npi.IsValid(pharmacy.Npi) ? "npi:" + pharmacy.Npi : null;
    }

    public static void Medication(this FieldViolations v, Medication? medication, string path)
    {
        if (medication is null)
        {
            v.Add(path, "is required");
            return;
        }

        v.Enum(medication.DrugClass, $"{path}.drug_class");
        v.Enum(medication.Route, $"{path}.route");
        v.Enum(medication.Setting, $"{path}.setting");
        // A microgram is the smallest dose any controlled substance is given in (fentanyl's are 12.5 µg and up);
        // below it a value is noise, and the findings' counts and texts (sessions = total / dose) would run wild.
        v.Require(medication.DoseMg >= MinMilligrams && medication.DoseMg <= 10_000, $"{path}.dose_mg", "must be at least 0.001 (a microgram) and at most 10000");
        v.Require(medication.TotalMg >= MinMilligrams && medication.TotalMg <= 1_000_000, $"{path}.total_mg", "must be at least 0.001 (a microgram) and at most 1000000");
        v.Require(!(medication.TotalMg < medication.DoseMg), $"{path}.total_mg", "must not be less than dose_mg");
        v.Range(medication.DaysSupply, 1, 365, $"{path}.days_supply");
        v.Range(medication.RefillsAuthorized, 0, 12, $"{path}.refills_authorized");
    }
}
