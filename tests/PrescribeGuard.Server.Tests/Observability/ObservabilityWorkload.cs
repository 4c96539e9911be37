using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>
/// A short mixed workload over real gRPC: ALLOW, REVIEW and DENY checks, dry runs, a replay, records,
/// a release, an encounter and a dispense, invalid requests, and reservations left to expire. Its
/// patients have distinctive names, birth dates and platform ids so a log scan can look for them.
/// </summary>
public static class ObservabilityWorkload
{
    public static readonly Patient[] Patients =
    [
        Requests.Patient("ppid-5521-zq", "Philippa", "Quarrington", "1979-02-17"),
        Requests.Patient("ppid-8830-kx", "Bartholomew", "Okonkwo-Reyes", "1990-11-03"),
        Requests.Patient("ppid-1204-wm", "Ingrid", "Vasquez-Holloway", "1968-07-29"),
        Requests.Patient("ppid-7719-rb", "Teodoro", "Lindqvist", "2001-05-09"),
    ];

    /// <summary>
    /// A copy of the default policy with AUDIO_ONLY_ENCOUNTER as a shadow rule, and the telemedicine
    /// flexibilities lasting past any date the tests run on (the workload's telemedicine checks assume
    /// them; after the shipped last day they would be denied); returns its path.
    /// </summary>
    public static string WriteShadowPolicy(string directory)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policy", "default.json"));
        const string rule = "\"AUDIO_ONLY_ENCOUNTER\": {";
        var lastDay = new System.Text.RegularExpressions.Regex("\"telemedicineFlexibilityLastDay\": \"[0-9-]+\"");
        Assert.Contains(rule, text, StringComparison.Ordinal);
        Assert.Matches(lastDay, text);
        var path = Path.Combine(directory, "shadow-policy.json");
        var shadowed = text.Replace(rule, rule + " \"shadow\": true,", StringComparison.Ordinal);
        File.WriteAllText(path, lastDay.Replace(shadowed, "\"telemedicineFlexibilityLastDay\": \"2099-12-31\""));
        return path;
    }

    public static async Task RunAsync(GuardServer server)
    {
        var a = server.Client("platform-a");
        var b = server.Client("platform-b");
        var now = server.Time.GetUtcNow();
        var (philippa, bartholomew, ingrid, teodoro) = (Patients[0], Patients[1], Patients[2], Patients[3]);

        // Dry runs for the same patient: decided, never reserved; the second can use the cached history.
        for (var i = 0; i < 3; i++)
        {
            var dry = Requests.CleanCheck(now, $"dry-{i}", philippa.Clone());
            dry.DryRun = true;
            Assert.True((await a.CheckPrescriptionAsync(dry)).DryRun);
        }

        // ALLOW, confirmed by recording the prescription, then dispensed; then replayed.
        var allowed = Requests.CleanCheck(now, "allow-1", philippa.Clone());
        var allow = await a.CheckPrescriptionAsync(allowed);
        Assert.Equal(Outcome.Allow, allow.Outcome);
        Assert.True((await a.RecordPrescriptionAsync(Requests.RecordFor(allowed, allow, "rx-allow-1", now))).Created);
        Assert.True((await a.RecordDispenseAsync(Requests.Dispense(philippa, "rx-allow-1", "fill-allow-1", now, 35, 1))).Created);
        Assert.Equal(allow.DecisionId, (await a.CheckPrescriptionAsync(allowed)).DecisionId);
        Assert.Equal(allow.DecisionId, (await a.GetDecisionAsync(new GetDecisionRequest { DecisionId = allow.DecisionId })).DecisionId);

        // ALLOW, then released.
        var released = await a.CheckPrescriptionAsync(Requests.CleanCheck(now, "allow-2", bartholomew.Clone()));
        Assert.Equal(Outcome.Allow, released.Outcome);
        Assert.True((await a.ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = released.DecisionId })).Released);

        // REVIEW: home-use troches by video without a supervised first dose; left to expire.
        var troches = Requests.CleanCheck(now, "review-1", ingrid.Clone());
        troches.Medication = Requests.HomeTroches();
        troches.Medication.DoseMg = 100;
        troches.Medication.TotalMg = 1200;
        troches.EncounterMode = EncounterMode.TelemedicineAudioVideo;
        var review = await a.CheckPrescriptionAsync(troches);
        Assert.Equal(Outcome.Review, review.Outcome);
        Assert.True((await a.RecordEncounterAsync(Requests.SupervisedDose(ingrid, "enc-1", now.AddDays(-2)))).Created);

        // An audio-only visit (AUDIO_ONLY_ENCOUNTER, a shadow rule in the test policy): reserved and left to expire.
        var audio = Requests.CleanCheck(now, "audio-1", teodoro.Clone());
        audio.EncounterMode = EncounterMode.TelemedicineAudioOnly;
        var audioDecision = await a.CheckPrescriptionAsync(audio);
        Assert.Contains(audioDecision.Findings, f => f.Code == "AUDIO_ONLY_ENCOUNTER");

        // DENY: another platform, while platform-a holds the reservation.
        var deny = await b.CheckPrescriptionAsync(Requests.CleanCheck(now, "b-deny-1", teodoro.Clone()));
        Assert.Equal(Outcome.Deny, deny.Outcome);
        var denyDry = Requests.CleanCheck(now, "b-deny-dry", teodoro.Clone());
        denyDry.DryRun = true;
        Assert.Equal(Outcome.Deny, (await b.CheckPrescriptionAsync(denyDry)).Outcome);

        // Invalid requests: no patient, an impossible birth date, no platform.
        await StatusAssert.FailsWith(StatusCode.InvalidArgument, () => a.CheckPrescriptionAsync(new CheckPrescriptionRequest { RequestId = "bad-1" }).ResponseAsync);
        var badDate = Requests.CleanCheck(now, "bad-2", Requests.Patient("ppid-5521-zq", "Philippa", "Quarrington", "1979-02-31"));
        await StatusAssert.FailsWith(StatusCode.InvalidArgument, () => a.CheckPrescriptionAsync(badDate).ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => server.AnonymousClient().CheckPrescriptionAsync(Requests.CleanCheck(now, "anon-1", philippa.Clone())).ResponseAsync);
        await StatusAssert.FailsWith(StatusCode.FailedPrecondition, () => a.RecordPrescriptionAsync(new RecordPrescriptionRequest
        {
            PrescriptionId = "rx-unknown",
            DecisionId = "dec_unknown",
            Patient = philippa.Clone(),
            Prescriber = Requests.Prescriber(),
            Medication = Requests.ClinicInfusion(),
            IssuedAt = Timestamp.FromDateTimeOffset(now),
        }).ResponseAsync);

        // The pending reservations (REVIEW and audio-only) expire, and the clock tolerance after it passes; the sweep counts them.
        server.Time.Advance(TimeSpan.FromMinutes(21));
        var sweep = server.Services.GetServices<IHostedService>().OfType<ReservationExpirySweep>().Single();
        Assert.Equal(2, await sweep.SweepAsync(CancellationToken.None));
        var freed = await b.CheckPrescriptionAsync(Requests.CleanCheck(server.Time.GetUtcNow(), "b-allow-1", teodoro.Clone()));
        Assert.Equal(Outcome.Allow, freed.Outcome);
        Assert.True((await b.ReleaseDecisionAsync(new ReleaseDecisionRequest { DecisionId = freed.DecisionId })).Released);
    }
}
