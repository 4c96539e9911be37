using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>Every kind of bad input gets INVALID_ARGUMENT naming its fields, and nothing is written.</summary>
public sealed class ValidationTests : IAsyncLifetime
{
    private GuardServer _server = null!;

    public async Task InitializeAsync() => _server = await GuardServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private DateTimeOffset Now => _server.Time.GetUtcNow();

    public static TheoryData<string, string> CheckViolations => new()
    {
        { "missing request_id", "request_id" },
        { "request_id too long", "request_id" },
        { "missing patient", "patient" },
        { "missing names", "patient.given_name" },
        { "given name with a noncharacter", "patient.given_name" },
        { "family name with a noncharacter", "patient.family_name" },
        { "bad birth date", "patient.birth_date" },
        { "birth date in the future", "patient.birth_date" },
        { "unknown state", "patient.location_state" },
        { "unspecified risk factor", "patient.risk_factors[0]" },
        { "unknown risk factor number", "patient.risk_factors[0]" },
        { "bad blood pressure", "patient.latest_blood_pressure.systolic" },
        { "blood pressure in the future", "patient.latest_blood_pressure.measured_at" },
        { "bad NPI check digit", "prescriber.npi" },
        { "bad DEA check digit", "prescriber.dea_number" },
        { "bad authorized state", "prescriber.authorized_states[2]" },
        { "unspecified drug class", "medication.drug_class" },
        { "not ketamine", "medication.drug_class" },
        { "negative dose", "medication.dose_mg" },
        { "dose under a microgram", "medication.dose_mg" },
        { "total under a microgram", "medication.total_mg" },
        { "NaN total", "medication.total_mg" },
        { "huge days supply", "medication.days_supply" },
        { "unspecified route", "medication.route" },
        { "unspecified encounter mode", "encounter_mode" },
        { "pharmacy with both ids", "pharmacy" },
        { "pharmacy bad ncpdp", "pharmacy.ncpdp_id" },
        { "as_of without dry_run", "as_of" },
    };

    [Theory]
    [MemberData(nameof(CheckViolations))]
    public async Task Check_violation_names_its_field(string kind, string field)
    {
        var request = Requests.CleanCheck(Now);
        Break(request, kind);

        var fields = await StatusAssert.InvalidFields(() => _server.Client().CheckPrescriptionAsync(request).ResponseAsync);

        Assert.Contains(field, fields);
        await AssertNothingRecordedAsync();
    }

    [Fact]
    public async Task Every_violation_is_reported_at_once()
    {
        var request = Requests.CleanCheck(Now);
        request.RequestId = string.Empty;
        request.Prescriber.Npi = "1234567890";
        request.Medication.DaysSupply = 0;

        var fields = await StatusAssert.InvalidFields(() => _server.Client().CheckPrescriptionAsync(request).ResponseAsync);

        Assert.Equal(["request_id", "prescriber.npi", "medication.days_supply"], fields);
    }

    [Fact]
    public async Task Ketamine_record_without_decision_is_invalid_and_writes_nothing()
    {
        var record = new RecordPrescriptionRequest
        {
            PrescriptionId = "rx-1",
            Patient = Requests.Patient(),
            Prescriber = Requests.Prescriber(),
            Medication = Requests.HomeTroches(),
            IssuedAt = Timestamp.FromDateTimeOffset(Now),
        };

        var fields = await StatusAssert.InvalidFields(() => _server.Client().RecordPrescriptionAsync(record).ResponseAsync);

        Assert.Equal(["decision_id"], fields);
        await AssertNothingRecordedAsync();
    }

    [Fact]
    public async Task An_in_person_evaluation_needs_its_clinicians_DEA_number_a_supervised_dose_does_not()
    {
        var evaluation = Requests.InPersonEvaluation(Requests.Patient(), "enc-eval", Now.AddDays(-1));
        evaluation.Clinician.DeaNumber = string.Empty;

        var fields = await StatusAssert.InvalidFields(() => _server.Client().RecordEncounterAsync(evaluation).ResponseAsync);

        Assert.Equal(["clinician.dea_number"], fields);
        await AssertNothingRecordedAsync();
    }

    [Fact]
    public async Task Dispense_and_encounter_violations_name_their_fields()
    {
        var dispense = Requests.Dispense(Requests.Patient(), "rx-1", "fill-1", Now.AddDays(2), -5, 0, fillNumber: -1);
        dispense.Pharmacy = null;
        var dispenseFields = await StatusAssert.InvalidFields(() => _server.Client().RecordDispenseAsync(dispense).ResponseAsync);
        Assert.Equal(["pharmacy", "dispensed_at", "fill_number", "total_mg", "days_supply"], dispenseFields);

        var encounter = Requests.SupervisedDose(Requests.Patient(), "enc-1", Now);
        encounter.Kind = EncounterKind.Unspecified;
        encounter.LocationState = "XX";
        encounter.MonitoringMinutes = -1;
        encounter.Clinician.DeaNumber = "A1234563";
        var encounterFields = await StatusAssert.InvalidFields(() => _server.Client().RecordEncounterAsync(encounter).ResponseAsync);
        Assert.Equal(["clinician.dea_number", "kind", "location_state", "monitoring_minutes"], encounterFields);
        await AssertNothingRecordedAsync();
    }

    [Fact]
    public async Task Server_keeps_serving_after_bad_input()
    {
        var bad = Requests.CleanCheck(Now);
        bad.Patient.BirthDate = "not a date";
        await StatusAssert.InvalidFields(() => _server.Client().CheckPrescriptionAsync(bad).ResponseAsync);

        var good = await _server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Now));
        Assert.Equal(Outcome.Allow, good.Outcome);
    }

    private async Task AssertNothingRecordedAsync()
    {
        var keys = _server.Services.GetRequiredService<PatientKeyDeriver>();
        var history = await _server.Services.GetRequiredService<IGuardLedger>()
            .LoadHistoryAsync(keys.Derive("Gonzalez", "Maria", new DateOnly(1985, 4, 12)), CancellationToken.None);
        Assert.Empty(history.Prescriptions);
        Assert.Empty(history.Dispenses);
        Assert.Empty(history.Encounters);
        Assert.Empty(history.Reservations);
    }

    private void Break(CheckPrescriptionRequest request, string kind)
    {
        switch (kind)
        {
            case "missing request_id": request.RequestId = string.Empty; break;
            case "request_id too long": request.RequestId = new string('r', 129); break;
            case "missing patient": request.Patient = null; break;
            case "missing names": request.Patient.GivenName = "  -- "; break;
            // U+FFFE is valid UTF-8 (EF BF BE) and passes protobuf, but no Unicode normalisation takes it.
            case "given name with a noncharacter": request.Patient.GivenName = "Jos\u00e9\uFFFE"; break;
            case "family name with a noncharacter": request.Patient.FamilyName = "Gonz\u00e1lez\uFFFE"; break;
            case "bad birth date": request.Patient.BirthDate = "1985-13-40"; break;
            case "birth date in the future": request.Patient.BirthDate = Now.AddYears(1).ToString("yyyy-MM-dd"); break;
            case "unknown state": request.Patient.LocationState = "ZZ"; break;
            case "unspecified risk factor": request.Patient.RiskFactors.Add(RiskFactor.Unspecified); break;
            case "unknown risk factor number": request.Patient.RiskFactors.Add((RiskFactor)99); break;
            case "bad blood pressure": request.Patient.LatestBloodPressure.Systolic = 900; break;
            case "blood pressure in the future": request.Patient.LatestBloodPressure.MeasuredAt = Timestamp.FromDateTimeOffset(Now.AddDays(1)); break;
            case "bad NPI check digit": request.Prescriber.Npi = "1234567890"; break;
            case "bad DEA check digit": request.Prescriber.DeaNumber = "AB1234567"; break;
            case "bad authorized state": request.Prescriber.AuthorizedStates.Add("QQ"); break;
            case "unspecified drug class": request.Medication.DrugClass = DrugClass.Unspecified; break;
            case "not ketamine": request.Medication.DrugClass = DrugClass.Opioid; break;
            case "negative dose": request.Medication.DoseMg = -1; break;
            // Accepted, 1e-300 mg made SESSION_FREQUENCY's summary a 300-digit number (summaries stay under 140 characters).
            case "dose under a microgram": request.Medication.DoseMg = 1e-300; break;
            case "total under a microgram": request.Medication.TotalMg = 0.0009; request.Medication.DoseMg = 0.0009; break;
            case "NaN total": request.Medication.TotalMg = double.NaN; break;
            case "huge days supply": request.Medication.DaysSupply = 100_000; break;
            case "unspecified route": request.Medication.Route = Route.Unspecified; break;
            case "unspecified encounter mode": request.EncounterMode = EncounterMode.Unspecified; break;
            case "pharmacy with both ids": request.Pharmacy = new Pharmacy { NcpdpId = "1234567", Npi = Requests.PrescriberNpi }; break;
            case "pharmacy bad ncpdp": request.Pharmacy = new Pharmacy { NcpdpId = "12ab" }; break;
            case "as_of without dry_run": request.AsOf = Timestamp.FromDateTimeOffset(Now.AddDays(-1)); break;
            default: throw new ArgumentException(kind);
        }
    }
}
