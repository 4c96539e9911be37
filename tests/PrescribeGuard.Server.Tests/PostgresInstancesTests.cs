using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Postgres;
using PrescribeGuard.Ledger.Sql;
using PrescribeGuard.Ledger.Sqlite;
using PrescribeGuard.Server.Hosting;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.Testing;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>Guard instances sharing one real PostgreSQL ledger, and that ledger going away and coming back.</summary>
public sealed class PostgresInstancesTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(15);

    // Instances that share a ledger must share the patient-key secret.
    private static readonly string SharedSecret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public async Task Fifty_concurrent_checks_for_one_new_patient_over_two_instances_reserve_exactly_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var (a, b) = await StartTwoInstancesAsync(connectionString);
        await using var first = a;
        await using var second = b;
        var now = first.Time.GetUtcNow();
        var instances = new[] { first, second };

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            instances[i % 2].Client().CheckPrescriptionAsync(Requests.CleanCheck(now, $"req-{i}")).ResponseAsync));

        var reserved = decisions.Where(d => d.ReservationExpiresAt is not null).ToArray();
        Assert.Single(reserved);
        Assert.Equal(Outcome.Allow, reserved[0].Outcome);
        var denied = decisions.Where(d => d.Outcome == Outcome.Deny).ToArray();
        Assert.Equal(49, denied.Length);
        Assert.All(denied, d => Assert.Contains(d.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE"));
        // Every decision is on record, and only one of them holds a reservation.
        Assert.Equal(50L, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM decisions"));
        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM decisions WHERE reservation_state = 1"));
    }

    [Fact]
    public async Task A_prescription_recorded_on_one_instance_is_seen_at_once_by_a_check_on_the_other()
    {
        var (a, b) = await StartTwoInstancesAsync(await postgres.CreateDatabaseAsync());
        await using var first = a;
        await using var second = b;
        var now = first.Time.GetUtcNow();
        var check = Requests.CleanCheck(now, "req-a-1");
        check.Medication.DaysSupply = 3;
        var allowed = await first.Client().CheckPrescriptionAsync(check);
        Assert.Equal(Outcome.Allow, allowed.Outcome);

        // The second instance sees the pending reservation (and now holds this patient's history in its cache).
        var whilePending = await second.Client().CheckPrescriptionAsync(Requests.CleanCheck(now, "req-b-1"));
        Assert.Equal(Outcome.Deny, whilePending.Outcome);
        Assert.Contains(allowed.DecisionId, Assert.Single(whilePending.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE").EvidenceIds);

        await first.Client().RecordPrescriptionAsync(Requests.RecordFor(check, allowed, "rx-1", now));
        var afterRecord = await second.Client().CheckPrescriptionAsync(Requests.CleanCheck(now, "req-b-2"));

        Assert.Equal(Outcome.Deny, afterRecord.Outcome);
        var duplicate = Assert.Single(afterRecord.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
        Assert.Contains("rx-1", duplicate.EvidenceIds);
        Assert.DoesNotContain(allowed.DecisionId, duplicate.EvidenceIds);
    }

    [Fact]
    public async Task An_instance_whose_clock_runs_ahead_waits_until_the_slower_one_can_no_longer_confirm()
    {
        var (slow, fast) = await StartTwoInstancesAsync(await postgres.CreateDatabaseAsync());
        await using var first = slow;
        await using var second = fast;
        var start = slow.Time.GetUtcNow();
        fast.Time.SetUtcNow(start + TimeSpan.FromMinutes(4)); // within the 5-minute tolerance
        var checkB = Requests.CleanCheck(start, "req-b");
        var decisionB = await slow.Client("platform-b").CheckPrescriptionAsync(checkB);
        Assert.Equal(Outcome.Allow, decisionB.Outcome);

        // Twelve minutes on: the slow instance reads 12 (three left on the reservation), the fast one 16.
        slow.Time.Advance(TimeSpan.FromMinutes(12));
        fast.Time.Advance(TimeSpan.FromMinutes(12));
        var decisionA = await fast.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(fast.Time.GetUtcNow(), "req-a"));
        var confirmedB = await slow.Client("platform-b").RecordPrescriptionAsync(Requests.RecordFor(checkB, decisionB, "rx-b", slow.Time.GetUtcNow()));

        Assert.True(confirmedB.Created);
        Assert.Equal(Outcome.Deny, decisionA.Outcome);
        Assert.Null(decisionA.ReservationExpiresAt);
        Assert.Contains(decisionA.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
    }

    [Fact]
    public async Task A_stopped_ledger_makes_checks_unavailable_and_they_succeed_again_when_it_returns()
    {
        var server = await PostgresServer.StartNewAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync();
            await using var guard = await GuardServer.StartAsync(settings: Settings(connectionString));
            var client = guard.Client();
            var now = guard.Time.GetUtcNow();
            var someoneElse = Requests.Patient("pt-2", "Ana", "Lopez", "1990-01-02");
            var before = await client.CheckPrescriptionAsync(Requests.CleanCheck(now, "req-before", someoneElse));
            Assert.Equal(Outcome.Allow, before.Outcome);

            using var http = new HttpClient { BaseAddress = guard.MetricsAddress };
            var health = new Grpc.Health.V1.Health.HealthClient(guard.Channel);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);

            await server.StopAsync();

            for (var i = 0; i < 3; i++)
            {
                using var deadline = new CancellationTokenSource(CallDeadline);
                var reason = await StatusAssert.Reason(StatusCode.Unavailable, () =>
                    client.CheckPrescriptionAsync(Requests.CleanCheck(now, $"req-down-{i}"), cancellationToken: deadline.Token).ResponseAsync);
                Assert.Equal("LEDGER_UNAVAILABLE", reason);
            }

            // Operations see it too: not ready, and the gRPC health service is NOT_SERVING.
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "ledger" })).Status);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "policy" })).Status);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

            await server.StartAsync();

            // The same guard, not restarted: the first check after the restart is answered, and it is
            // an ALLOW, so none of the checks made while the ledger was down reserved anything.
            using (var deadline = new CancellationTokenSource(CallDeadline))
            {
                var after = await client.CheckPrescriptionAsync(Requests.CleanCheck(now, "req-after"), cancellationToken: deadline.Token);
                Assert.Equal(Outcome.Allow, after.Outcome);
                Assert.NotNull(after.ReservationExpiresAt);
            }

            Assert.Equal(0L, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM decisions WHERE request_id LIKE 'req-down-%'"));
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
            var audited = await client.GetDecisionAsync(new GetDecisionRequest { DecisionId = before.DecisionId });
            Assert.Equal(before, audited);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null, null, "sqlite")]
    [InlineData(null, "Host=db", "postgres")]
    [InlineData("", "Host=db", "postgres")]
    [InlineData("sqlite", "Host=db", "sqlite")]
    [InlineData("Postgres", null, "postgres")]
    public void The_ledger_provider_is_explicit_or_follows_the_connection_string(string? provider, string? connectionString, string expected)
    {
        Assert.Equal(expected, LedgerRegistration.ChooseProvider(provider, connectionString));
    }

    [Fact]
    public void A_ledger_connection_string_alone_selects_postgres()
    {
        using var services = LedgerServices(new() { ["ConnectionStrings:Ledger"] = postgres.ConnectionString });

        Assert.IsType<PostgresDialect>(services.GetRequiredService<ILedgerDialect>());
        Assert.Equal("postgres", services.GetRequiredService<PrescribeGuard.Ledger.IGuardLedger>() is SqlGuardLedger ledger ? ledger.Provider : null);
    }

    [Fact]
    public void Without_provider_or_connection_string_the_ledger_is_sqlite()
    {
        var folder = Directory.CreateTempSubdirectory("prescribeguard-provider-").FullName;
        try
        {
            using (var services = LedgerServices(new() { ["Guard:DataDirectory"] = folder }))
            {
                Assert.IsType<SqliteDialect>(services.GetRequiredService<ILedgerDialect>());
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Postgres_without_a_connection_string_fails_with_a_clear_message()
    {
        using var services = LedgerServices(new() { ["Ledger:Provider"] = "postgres" });

        var ex = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<ILedgerDialect>());
        Assert.Contains("ConnectionStrings:Ledger", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instances_sharing_the_ledger_must_share_one_configured_secret()
    {
        // Secrets generated per instance (each in its own data folder) would key one person twice.
        var connectionString = await postgres.CreateDatabaseAsync();
        var unset = Settings(connectionString);
        unset.Remove("Guard:PatientKeySecret");
        var other = Settings(connectionString);
        other["Guard:PatientKeySecret"] = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());

        var withoutSecret = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => GuardServer.StartAsync(settings: unset));
        await using var first = await GuardServer.StartAsync(settings: Settings(connectionString));
        var otherSecret = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => GuardServer.StartAsync(settings: other));
        await using var second = await GuardServer.StartAsync(settings: Settings(connectionString));

        Assert.Contains("Guard:PatientKeySecret is required", withoutSecret.Message, StringComparison.Ordinal);
        Assert.Contains("patient-key secret is not the one this ledger", otherSecret.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM ledger_identity"));
    }

    [Fact]
    public async Task Health_from_published_results_answers_without_pinging_the_ledger()
    {
        var server = await PostgresServer.StartNewAsync();
        try
        {
            var settings = Settings(await server.CreateDatabaseAsync());
            settings["Observability:HealthFromPublishedResults"] = "true";
            settings["Observability:HealthPublishSeconds"] = "600";
            await using var guard = await GuardServer.StartAsync(settings: settings);
            var health = new Grpc.Health.V1.Health.HealthClient(guard.Channel);
            using var http = new HttpClient { BaseAddress = guard.MetricsAddress };
            var first = await WaitForServingAsync(health);

            await server.StopAsync();

            // The probe answers from the one publication (the next is ten minutes away); /readyz,
            // which always runs its checks, sees the ledger gone.
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, first);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>The first publication comes a second after start; until then the service has no status.</summary>
    private static async Task<Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus> WaitForServingAsync(Grpc.Health.V1.Health.HealthClient health)
    {
        var status = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Unknown;
        for (var attempt = 0; attempt < 100 && status != Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving; attempt++)
        {
            try
            {
                status = (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest())).Status;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // Not published yet.
            }

            if (status != Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
            {
                await Task.Delay(100);
            }
        }

        return status;
    }

    private static Dictionary<string, string?> Settings(string connectionString) => new()
    {
        ["Ledger:Provider"] = "postgres",
        ["ConnectionStrings:Ledger"] = connectionString,
        ["Guard:PatientKeySecret"] = SharedSecret,
    };

    /// <summary>Two instances started at once (so they migrate the new database concurrently), on one clock.</summary>
    private static async Task<(GuardServer First, GuardServer Second)> StartTwoInstancesAsync(string connectionString)
    {
        var started = await Task.WhenAll(
            GuardServer.StartAsync(settings: Settings(connectionString)),
            GuardServer.StartAsync(settings: Settings(connectionString)));
        // Each fake clock starts at the real time it was created; a reservation made "later" on one
        // instance must not look as if it were made in the future of the other.
        var now = started.Max(s => s.Time.GetUtcNow());
        foreach (var server in started)
        {
            server.Time.SetUtcNow(now);
        }

        return (started[0], started[1]);
    }

    private static ServiceProvider LedgerServices(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddOptions()
            .Configure<Configuration.GuardOptions>(configuration.GetSection(Configuration.GuardOptions.Section))
            .AddSingleton<IHistoryCache>(new NoHistoryCache());
        services.AddGuardLedger(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
