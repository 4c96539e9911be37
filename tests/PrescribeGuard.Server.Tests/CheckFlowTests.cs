using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>The documented call sequence and the reservation life cycle, over real gRPC.</summary>
public sealed class CheckFlowTests : IAsyncLifetime
{
    private GuardServer _server = null!;

    public async Task InitializeAsync() => _server = await GuardServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private DateTimeOffset Now => _server.Time.GetUtcNow();

    [Fact]
    public async Task Clean_clinic_infusion_is_allowed_and_reserved()
    {
        var decision = await _server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Now));

        Assert.Equal(Outcome.Allow, decision.Outcome);
        Assert.Empty(decision.Findings);
        Assert.StartsWith("sha256:", decision.PolicyVersion);
        Assert.Equal("req-1", decision.RequestId);
        Assert.False(decision.DryRun);
        Assert.Equal(Now.AddMinutes(15), decision.ReservationExpiresAt.ToDateTimeOffset());
    }

    /// <summary>A check for home-use troches by video, its patient evaluated in person by the prescriber a month ago.</summary>
    private async Task<CheckPrescriptionRequest> HomeTrochesByVideoAsync(PrescriptionGuard.PrescriptionGuardClient client)
    {
        var check = Requests.CleanCheck(Now);
        check.Medication = Requests.HomeTroches();
        check.Medication.DoseMg = 100;
        check.Medication.TotalMg = 1200;
        check.EncounterMode = EncounterMode.TelemedicineAudioVideo;
        await client.RecordEncounterAsync(Requests.InPersonEvaluation(check.Patient, "enc-eval", Now.AddDays(-30)));
        return check;
    }

    [Fact]
    public async Task A_supervised_dose_observed_by_a_clinician_without_a_DEA_number_counts()
    {
        // Nurses observe supervised doses and hold no DEA registration; an encounter records no DEA.
        var client = _server.Client();
        var check = await HomeTrochesByVideoAsync(client);
        check.DryRun = true;
        var observed = Requests.SupervisedDose(check.Patient, "enc-nurse", Now.AddDays(-2));
        observed.Clinician.DeaNumber = string.Empty;

        var recorded = await client.RecordEncounterAsync(observed);
        var decision = await client.CheckPrescriptionAsync(check);

        Assert.True(recorded.Created);
        Assert.Equal(Outcome.Allow, decision.Outcome);
        Assert.DoesNotContain(decision.Findings, finding => finding.Code == "SUPERVISED_FIRST_DOSE_REQUIRED");
    }

    [Fact]
    public async Task A_supervised_dose_of_another_drug_is_not_the_first_ketamine_dose()
    {
        var client = _server.Client();
        var check = await HomeTrochesByVideoAsync(client);
        check.DryRun = true;
        var observed = Requests.SupervisedDose(check.Patient, "enc-benzo", Now.AddDays(-2));
        observed.Medication = Requests.ClinicInfusion();
        observed.Medication.DrugClass = DrugClass.Benzodiazepine;
        observed.Medication.Route = Route.Oral;
        observed.Medication.DoseMg = observed.Medication.TotalMg = 2;

        var recorded = await client.RecordEncounterAsync(observed);
        var decision = await client.CheckPrescriptionAsync(check);

        Assert.True(recorded.Created);
        Assert.Equal(Outcome.Review, decision.Outcome);
        Assert.Equal(["SUPERVISED_FIRST_DOSE_REQUIRED"], decision.Findings.Select(f => f.Code));
    }

    [Fact]
    public async Task Check_record_dispense_then_early_refill_asks_for_review()
    {
        var client = _server.Client();
        var check = await HomeTrochesByVideoAsync(client);
        var dryRun = check.Clone();
        dryRun.RequestId = "req-dry";
        dryRun.DryRun = true;
        var beforeSupervisedDose = await client.CheckPrescriptionAsync(dryRun);
        Assert.Equal(Outcome.Review, beforeSupervisedDose.Outcome);
        Assert.Equal(["SUPERVISED_FIRST_DOSE_REQUIRED"], beforeSupervisedDose.Findings.Select(f => f.Code));
        await client.RecordEncounterAsync(Requests.SupervisedDose(check.Patient, "enc-1", Now.AddDays(-2)));

        var first = await client.CheckPrescriptionAsync(check);
        Assert.Equal(Outcome.Allow, first.Outcome);

        var recorded = await client.RecordPrescriptionAsync(Requests.RecordFor(check, first, "rx-1", Now));
        Assert.True(recorded.Created);
        var dispensed = await client.RecordDispenseAsync(Requests.Dispense(check.Patient, "rx-1", "fill-0", Now, 1200, 30));
        Assert.True(dispensed.Created);

        _server.Time.Advance(TimeSpan.FromDays(10));
        var refill = check.Clone();
        refill.RequestId = "req-refill-1";
        refill.RefillOfPrescriptionId = "rx-1";
        var early = await client.CheckPrescriptionAsync(refill);

        Assert.True(early.Outcome == Outcome.Review, early.ToString());
        var finding = Assert.Single(early.Findings, f => f.Code == "REFILL_TOO_EARLY");
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal("NY Public Health Law §3339(3)", finding.Source);
        Assert.Equal(["rx-1", "fill-0"], finding.EvidenceIds);
        Assert.DoesNotContain(early.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
        Assert.False(early.ReservationExpiresAt is not null, "a refill check reserves nothing");
    }

    [Fact]
    public async Task A_fill_dispensed_in_two_partials_is_one_supply_for_the_early_refill()
    {
        var client = _server.Client();
        var check = await HomeTrochesByVideoAsync(client);
        await client.RecordEncounterAsync(Requests.SupervisedDose(check.Patient, "enc-1", Now.AddDays(-2)));
        var first = await client.CheckPrescriptionAsync(check);
        await client.RecordPrescriptionAsync(Requests.RecordFor(check, first, "rx-1", Now));

        // The pharmacy had 7 days' worth; the other 23 came two days later (21 CFR 1306.23): one 30-day fill.
        await client.RecordDispenseAsync(Requests.Dispense(check.Patient, "rx-1", "fill-0a", Now, 280, 7, fillNumber: 0));
        _server.Time.Advance(TimeSpan.FromDays(2));
        await client.RecordDispenseAsync(Requests.Dispense(check.Patient, "rx-1", "fill-0b", Now, 920, 23, fillNumber: 0));

        // Day 20 of the 30: ten days before the supply runs out, where the second partial alone ran out in three.
        _server.Time.Advance(TimeSpan.FromDays(18));
        var refill = check.Clone();
        refill.RequestId = "req-refill-1";
        refill.RefillOfPrescriptionId = "rx-1";
        var early = await client.CheckPrescriptionAsync(refill);

        Assert.True(early.Outcome == Outcome.Review, early.ToString());
        var finding = Assert.Single(early.Findings, f => f.Code == "REFILL_TOO_EARLY");
        Assert.StartsWith("Refill requested 10 days before", finding.Summary, StringComparison.Ordinal);
        Assert.Equal(["rx-1", "fill-0b"], finding.EvidenceIds);
    }

    [Fact]
    public async Task Second_platform_is_denied_while_the_first_holds_a_reservation()
    {
        var first = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now));
        Assert.Equal(Outcome.Allow, first.Outcome);

        // The same person, typed differently on another platform.
        var elsewhere = Requests.CleanCheck(Now, "b-req-1", Requests.Patient("b-77", "MARIA ", "González", "1985-04-12"));
        var second = await _server.Client("platform-b").CheckPrescriptionAsync(elsewhere);

        Assert.Equal(Outcome.Deny, second.Outcome);
        var duplicate = Assert.Single(second.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
        Assert.Equal(Severity.Critical, duplicate.Severity);
        Assert.Empty(duplicate.EvidenceIds);
        Assert.DoesNotContain(first.DecisionId, duplicate.Summary + duplicate.Detail);
        Assert.Null(second.ReservationExpiresAt);
    }

    [Fact]
    public async Task Released_reservation_frees_the_patient()
    {
        var first = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now));
        var released = await _server.Client("platform-a").ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = first.DecisionId });
        Assert.True(released.Released);

        var again = await _server.Client("platform-a").ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = first.DecisionId });
        Assert.False(again.Released);

        var second = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"));
        Assert.Equal(Outcome.Allow, second.Outcome);
    }

    [Fact]
    public async Task Expired_reservation_holds_the_patient_for_the_clock_tolerance_unless_released()
    {
        var first = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now));
        _server.Time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(Outcome.Deny, (await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"))).Outcome);

        // Expired a minute ago, but an instance whose clock runs up to 5 minutes behind could still confirm it.
        _server.Time.Advance(TimeSpan.FromMinutes(2));
        var withinTolerance = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-2"));
        Assert.Equal(Outcome.Deny, withinTolerance.Outcome);
        Assert.Contains(withinTolerance.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");

        _server.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(Outcome.Allow, (await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-3"))).Outcome);
        Assert.False((await _server.Client("platform-a").ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = first.DecisionId })).Released);
    }

    [Fact]
    public async Task A_reservation_released_just_after_its_expiry_frees_the_patient_at_once()
    {
        var first = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now));
        _server.Time.Advance(TimeSpan.FromMinutes(17));

        Assert.True((await _server.Client("platform-a").ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = first.DecisionId })).Released);
        Assert.Equal(Outcome.Allow, (await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"))).Outcome);
    }

    [Fact]
    public async Task A_late_confirmation_makes_the_expiry_final_so_checking_again_is_allowed()
    {
        var check = Requests.CleanCheck(Now);
        var first = await _server.Client("platform-a").CheckPrescriptionAsync(check);
        _server.Time.Advance(TimeSpan.FromMinutes(15));

        var reason = await StatusAssert.Reason(
            StatusCode.FailedPrecondition,
            () => _server.Client("platform-a").RecordPrescriptionAsync(Requests.RecordFor(check, first, "rx-late", Now)).ResponseAsync);
        var again = check.Clone();
        again.RequestId = "req-again";
        var checkedAgain = await _server.Client("platform-a").CheckPrescriptionAsync(again);

        Assert.Equal("RESERVATION_EXPIRED", reason);
        Assert.True(checkedAgain.Outcome == Outcome.Allow, checkedAgain.ToString());
        Assert.True((await _server.Client("platform-a").RecordPrescriptionAsync(Requests.RecordFor(again, checkedAgain, "rx-late", Now))).Created);
        var late = await StatusAssert.Reason(
            StatusCode.FailedPrecondition,
            () => _server.Client("platform-a").RecordPrescriptionAsync(Requests.RecordFor(check, first, "rx-other", Now)).ResponseAsync);
        Assert.Equal("RESERVATION_EXPIRED", late);
    }

    [Fact]
    public async Task Recorded_prescription_keeps_the_patient_active_after_the_reservation_is_confirmed()
    {
        await RecordedOnPlatformAAsync(daysSupply: 7);
        _server.Time.Advance(TimeSpan.FromHours(1));

        var second = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"));
        Assert.Equal(Outcome.Deny, second.Outcome);
        Assert.Contains(second.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");

        var sameCaller = Requests.CleanCheck(Now, "a-2");
        var own = await _server.Client("platform-a").CheckPrescriptionAsync(sameCaller);
        Assert.Contains("rx-1", Assert.Single(own.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE").EvidenceIds);
    }

    /// <summary>A clean clinic check by platform-a for the given supply, recorded as its prescription rx-1.</summary>
    private async Task<CheckPrescriptionRequest> RecordedOnPlatformAAsync(int daysSupply)
    {
        var check = Requests.CleanCheck(Now);
        check.Medication.DaysSupply = daysSupply;
        var decision = await _server.Client("platform-a").CheckPrescriptionAsync(check);
        await _server.Client("platform-a").RecordPrescriptionAsync(Requests.RecordFor(check, decision, "rx-1", Now));
        return check;
    }

    [Fact]
    public async Task Review_needs_an_override_reason_to_be_recorded()
    {
        var check = Requests.CleanCheck(Now);
        check.EncounterMode = EncounterMode.TelemedicineAudioOnly;
        await _server.Client().RecordEncounterAsync(Requests.InPersonEvaluation(check.Patient, "enc-eval", Now.AddDays(-30)));
        var decision = await _server.Client().CheckPrescriptionAsync(check);
        Assert.Equal(Outcome.Review, decision.Outcome);
        Assert.Contains(decision.Findings, f => f.Code == "AUDIO_ONLY_ENCOUNTER");

        var record = Requests.RecordFor(check, decision, "rx-1", Now);
        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client().RecordPrescriptionAsync(record).ResponseAsync);
        Assert.Equal("OVERRIDE_REASON_REQUIRED", reason);

        record.OverrideReasonCode = "PATIENT_CANNOT_USE_VIDEO";
        record.OverrideComment = "Patient has no camera; clinician attests.";
        var recorded = await _server.Client().RecordPrescriptionAsync(record);
        Assert.True(recorded.Created);
    }

    [Fact]
    public async Task Ketamine_prescription_needs_a_live_decision_of_the_same_platform()
    {
        var check = Requests.CleanCheck(Now);
        var decision = await _server.Client("platform-a").CheckPrescriptionAsync(check);
        var record = Requests.RecordFor(check, decision, "rx-1", Now);

        var otherPlatform = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client("platform-b").RecordPrescriptionAsync(record).ResponseAsync);
        Assert.Equal("DECISION_NOT_FOUND", otherPlatform);

        record.DecisionId = "dec_unknown";
        var unknown = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client("platform-a").RecordPrescriptionAsync(record).ResponseAsync);
        Assert.Equal("DECISION_NOT_FOUND", unknown);

        var dryRun = check.Clone();
        dryRun.RequestId = "dry-1";
        dryRun.DryRun = true;
        var dryDecision = await _server.Client("platform-a").CheckPrescriptionAsync(dryRun);
        Assert.True(dryDecision.DryRun);
        Assert.Null(dryDecision.ReservationExpiresAt);
        record.DecisionId = dryDecision.DecisionId;
        var dry = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client("platform-a").RecordPrescriptionAsync(record).ResponseAsync);
        Assert.Equal("DECISION_DRY_RUN", dry);
    }

    public static TheoryData<string> Substitutions => new() { "another prescriber", "larger quantity", "another route", "longer supply", "backdated" };

    [Theory]
    [MemberData(nameof(Substitutions))]
    public async Task Recorded_prescription_must_be_the_one_that_was_checked(string substitution)
    {
        var check = Requests.CleanCheck(Now);
        var decision = await _server.Client().CheckPrescriptionAsync(check);
        var record = Requests.RecordFor(check, decision, "rx-1", Now);
        switch (substitution)
        {
            case "another prescriber": record.Prescriber = Requests.Prescriber(Requests.OtherPrescriberNpi); break;
            case "larger quantity": record.Medication.TotalMg = 3500; break;
            case "another route": record.Medication.Route = Route.Intramuscular; break;
            case "longer supply": record.Medication.DaysSupply = 30; break;
            default: record.IssuedAt = Timestamp.FromDateTimeOffset(Now.AddDays(-60)); break;
        }

        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client().RecordPrescriptionAsync(record).ResponseAsync);

        Assert.Equal("PRESCRIPTION_DIFFERS_FROM_DECISION", reason);
        var elsewhere = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"));
        Assert.Equal(Outcome.Deny, elsewhere.Outcome);
    }

    [Fact]
    public async Task Recorded_troches_over_fewer_days_than_were_checked_do_not_confirm()
    {
        // The same 1,200 mg in 100 mg doses over 10 days instead of 30 plans 8.4 sessions a week.
        var client = _server.Client();
        var check = await HomeTrochesByVideoAsync(client);
        await client.RecordEncounterAsync(Requests.SupervisedDose(check.Patient, "enc-1", Now.AddDays(-2)));
        var decision = await client.CheckPrescriptionAsync(check);
        Assert.Equal(Outcome.Allow, decision.Outcome);
        var faster = Requests.RecordFor(check, decision, "rx-1", Now);
        faster.Medication.DaysSupply = 10;
        var fasterCheck = check.Clone();
        fasterCheck.RequestId = "req-faster";
        fasterCheck.DryRun = true;
        fasterCheck.Medication.DaysSupply = 10;

        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => client.RecordPrescriptionAsync(faster).ResponseAsync);
        var judged = await client.CheckPrescriptionAsync(fasterCheck);
        var asChecked = await client.RecordPrescriptionAsync(Requests.RecordFor(check, decision, "rx-1", Now));

        Assert.Equal("PRESCRIPTION_DIFFERS_FROM_DECISION", reason);
        Assert.Contains(judged.Findings, finding => finding.Code == "SESSION_FREQUENCY");
        Assert.True(asChecked.Created);
    }

    [Fact]
    public async Task Historical_import_needs_no_decision_and_counts_as_history()
    {
        var patient = Requests.Patient();
        var import = new RecordPrescriptionRequest
        {
            PrescriptionId = "old-rx",
            Patient = patient,
            Prescriber = Requests.Prescriber(),
            Medication = Requests.HomeTroches(),
            IssuedAt = Timestamp.FromDateTimeOffset(Now.AddDays(-5)),
            HistoricalImport = true,
        };
        Assert.True((await _server.Client().RecordPrescriptionAsync(import)).Created);

        var decision = await _server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Now));
        Assert.Equal(Outcome.Deny, decision.Outcome);
        Assert.Contains("old-rx", Assert.Single(decision.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE").EvidenceIds);
    }

    [Fact]
    public async Task Dry_run_as_of_after_the_flexibility_end_requires_an_in_person_evaluation()
    {
        var check = Requests.CleanCheck(Now);
        check.EncounterMode = EncounterMode.TelemedicineAudioVideo;
        check.DryRun = true;
        // The first minute of 2027 in New York, where the patient is.
        check.AsOf = Timestamp.FromDateTimeOffset(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)));

        var decision = await _server.Client().CheckPrescriptionAsync(check);

        Assert.Equal(Outcome.Deny, decision.Outcome);
        Assert.Equal(Severity.Critical, Assert.Single(decision.Findings, f => f.Code == "IN_PERSON_EVALUATION_REQUIRED").Severity);
        Assert.True(decision.DryRun);
        Assert.Null(decision.ReservationExpiresAt);
    }

    [Theory]
    [InlineData("CA", "2026-12-31T16:30:00-08:00", false)] // Dec 31 in California, already Jan 1 in UTC
    [InlineData("HI", "2026-12-31T23:00:00-10:00", false)]
    [InlineData("NY", "2026-12-31T20:00:00-05:00", false)] // Jan 1 in UTC too
    [InlineData("NY", "2027-01-01T00:30:00-05:00", true)] // Jan 1 in New York, still Dec 31 farther west
    [InlineData("CA", "2027-01-01T00:30:00-08:00", true)]
    public async Task The_flexibilities_last_through_their_last_day_in_the_patients_state(string state, string asOf, bool required)
    {
        var check = Requests.CleanCheck(Now);
        check.Patient.LocationState = state;
        if (!check.Prescriber.AuthorizedStates.Contains(state))
        {
            check.Prescriber.AuthorizedStates.Add(state);
        }

        check.EncounterMode = EncounterMode.TelemedicineAudioVideo;
        check.DryRun = true;
        check.AsOf = Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture));

        var decision = await _server.Client().CheckPrescriptionAsync(check);

        Assert.Equal(required, decision.Findings.Any(f => f.Code == "IN_PERSON_EVALUATION_REQUIRED"));
        Assert.DoesNotContain(decision.Findings, f => f.Code == "PRESCRIBER_NOT_AUTHORIZED_IN_STATE");
        if (required)
        {
            Assert.Equal(Outcome.Deny, decision.Outcome);
        }
    }

    [Fact]
    public async Task Refill_of_an_unknown_prescription_is_a_failed_precondition()
    {
        var check = Requests.CleanCheck(Now);
        check.RefillOfPrescriptionId = "rx-never";
        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client().CheckPrescriptionAsync(check).ResponseAsync);
        Assert.Equal("PRESCRIPTION_NOT_FOUND", reason);
    }

    [Fact]
    public async Task Dispense_needs_its_prescription_on_record()
    {
        var reason = await StatusAssert.Reason(
            StatusCode.FailedPrecondition,
            () => _server.Client().RecordDispenseAsync(Requests.Dispense(Requests.Patient(), "rx-none", "fill-1", Now, 100, 10)).ResponseAsync);
        Assert.Equal("PRESCRIPTION_NOT_FOUND", reason);
    }

    [Fact]
    public async Task A_fill_dated_before_its_prescription_cannot_end_it_for_other_platforms()
    {
        // Filled "40 days ago" for 30 days, today's prescription would have run out 10 days ago.
        var check = await RecordedOnPlatformAAsync(daysSupply: 30);
        var backdated = Requests.Dispense(check.Patient, "rx-1", "fill-0", Now.AddDays(-40), 35, 30);

        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => _server.Client("platform-a").RecordDispenseAsync(backdated).ResponseAsync);
        var elsewhere = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1"));

        Assert.Equal("DISPENSED_BEFORE_ISSUE", reason);
        Assert.Equal(Outcome.Deny, elsewhere.Outcome);
        Assert.Contains(elsewhere.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
    }

    [Fact]
    public async Task Get_decision_returns_the_answer_to_its_platform_only()
    {
        var decision = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now));

        var audited = await _server.Client("platform-a").GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId });
        Assert.Equal(decision, audited);

        await StatusAssert.FailsWith(
            StatusCode.NotFound,
            () => _server.Client("platform-b").GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync);
    }

    [Fact]
    public async Task Missing_platform_header_is_unauthenticated()
    {
        await StatusAssert.FailsWith(
            StatusCode.Unauthenticated,
            () => _server.AnonymousClient().CheckPrescriptionAsync(Requests.CleanCheck(Now)).ResponseAsync);
    }
}
