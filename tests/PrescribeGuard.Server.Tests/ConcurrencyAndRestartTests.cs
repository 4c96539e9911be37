using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

public sealed class ConcurrencyAndRestartTests
{
    [Fact]
    public async Task Fifty_concurrent_checks_for_one_patient_reserve_exactly_once()
    {
        await using var server = await GuardServer.StartAsync();
        var now = server.Time.GetUtcNow();
        var platforms = new[] { "platform-a", "platform-b", "platform-c" };

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            server.Client(platforms[i % platforms.Length]).CheckPrescriptionAsync(Requests.CleanCheck(now, $"req-{i}")).ResponseAsync));

        var reserved = decisions.Where(d => d.ReservationExpiresAt is not null).ToArray();
        Assert.Single(reserved);
        Assert.Equal(Outcome.Allow, reserved[0].Outcome);
        var denied = decisions.Where(d => d.Outcome == Outcome.Deny).ToArray();
        Assert.Equal(49, denied.Length);
        Assert.All(denied, d => Assert.Contains(d.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE"));
    }

    [Fact]
    public async Task Restart_on_the_same_sqlite_file_keeps_history_and_decisions()
    {
        var folder = Directory.CreateTempSubdirectory("prescribeguard-restart-").FullName;
        try
        {
            Decision decision;
            var check = Requests.CleanCheck(DateTimeOffset.UtcNow);
            await using (var first = await GuardServer.StartAsync(folder))
            {
                check = Requests.CleanCheck(first.Time.GetUtcNow());
                check.Medication.DaysSupply = 3;
                decision = await first.Client().CheckPrescriptionAsync(check);
                await first.Client().RecordPrescriptionAsync(Requests.RecordFor(check, decision, "rx-1", first.Time.GetUtcNow()));
            }

            await using var second = await GuardServer.StartAsync(folder);
            var audited = await second.Client().GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId });
            Assert.Equal(decision, audited);

            // Same person, so the restarted guard derived the same patient key from the kept secret.
            var again = await second.Client().CheckPrescriptionAsync(Requests.CleanCheck(second.Time.GetUtcNow(), "req-after-restart"));
            Assert.Equal(Outcome.Deny, again.Outcome);
            Assert.Contains("rx-1", Assert.Single(again.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE").EvidenceIds);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Health_is_serving_and_reflection_lists_the_guard()
    {
        await using var server = await GuardServer.StartAsync();

        var client = new Grpc.Health.V1.Health.HealthClient(server.Channel);
        var health = await client.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        foreach (var check in new[] { "ledger", "policy" })
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest { Service = check })).Status);
        }

        // Redis is not configured: no such service.
        await StatusAssert.FailsWith(StatusCode.NotFound, () => client.CheckAsync(new HealthCheckRequest { Service = "redis-cache" }).ResponseAsync);

        var reflection = new ServerReflection.ServerReflectionClient(server.Channel).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("prescribeguard.v1.PrescriptionGuard", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
