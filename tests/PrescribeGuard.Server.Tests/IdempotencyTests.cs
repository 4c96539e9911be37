using Grpc.Core;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>Repeats with the same id and content change nothing; the same id with other content is refused.</summary>
public sealed class IdempotencyTests : IAsyncLifetime
{
    private GuardServer _server = null!;

    public async Task InitializeAsync() => _server = await GuardServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private DateTimeOffset Now => _server.Time.GetUtcNow();

    [Fact]
    public async Task Repeated_check_returns_the_same_decision()
    {
        var request = Requests.CleanCheck(Now);
        var first = await _server.Client().CheckPrescriptionAsync(request);
        _server.Time.Advance(TimeSpan.FromMinutes(1));
        var repeat = await _server.Client().CheckPrescriptionAsync(request);

        Assert.Equal(first, repeat);
    }

    [Fact]
    public async Task Request_id_is_scoped_per_platform()
    {
        var a = await _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now, "same-id"));
        var b = await _server.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(Now, "same-id", Requests.Patient("x", "Other", "Person", "1990-01-01")));

        Assert.NotEqual(a.DecisionId, b.DecisionId);
        Assert.Equal(Outcome.Allow, b.Outcome);
    }

    [Fact]
    public async Task Reused_request_id_with_other_content_already_exists()
    {
        var request = Requests.CleanCheck(Now);
        await _server.Client().CheckPrescriptionAsync(request);
        request.Medication.DaysSupply = 2;

        var reason = await StatusAssert.Reason(StatusCode.AlreadyExists, () => _server.Client().CheckPrescriptionAsync(request).ResponseAsync);
        Assert.Equal("REQUEST_ID_REUSED", reason);
    }

    [Fact]
    public async Task Repeated_records_are_unchanged_and_conflicting_ones_refused()
    {
        var client = _server.Client();
        var check = Requests.CleanCheck(Now);
        var decision = await client.CheckPrescriptionAsync(check);
        var record = Requests.RecordFor(check, decision, "rx-1", Now);
        Assert.True((await client.RecordPrescriptionAsync(record)).Created);
        Assert.False((await client.RecordPrescriptionAsync(record)).Created);
        record.Medication.DaysSupply = 2;
        Assert.Equal("PRESCRIPTION_ID_REUSED", await StatusAssert.Reason(StatusCode.AlreadyExists, () => client.RecordPrescriptionAsync(record).ResponseAsync));

        var dispense = Requests.Dispense(check.Patient, "rx-1", "fill-0", Now, 35, 1);
        Assert.True((await client.RecordDispenseAsync(dispense)).Created);
        Assert.False((await client.RecordDispenseAsync(dispense)).Created);
        dispense.TotalMg = 70;
        Assert.Equal("DISPENSE_ID_REUSED", await StatusAssert.Reason(StatusCode.AlreadyExists, () => client.RecordDispenseAsync(dispense).ResponseAsync));

        var encounter = Requests.SupervisedDose(check.Patient, "enc-1", Now);
        Assert.True((await client.RecordEncounterAsync(encounter)).Created);
        Assert.False((await client.RecordEncounterAsync(encounter)).Created);
        encounter.MonitoringMinutes = 30;
        Assert.Equal("ENCOUNTER_ID_REUSED", await StatusAssert.Reason(StatusCode.AlreadyExists, () => client.RecordEncounterAsync(encounter).ResponseAsync));
    }

    [Fact]
    public async Task Record_ids_are_scoped_per_platform()
    {
        var encounterA = Requests.SupervisedDose(Requests.Patient(), "enc-1", Now);
        var encounterB = Requests.SupervisedDose(Requests.Patient(), "enc-1", Now, monitoringMinutes: 180);

        Assert.True((await _server.Client("platform-a").RecordEncounterAsync(encounterA)).Created);
        Assert.True((await _server.Client("platform-b").RecordEncounterAsync(encounterB)).Created);
    }
}
