using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrescribeGuard.Server.Hosting;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// Who may call and what each caller learns: API keys and JWTs, roles, tenant isolation of
/// decisions and evidence, per-platform rate limits, the audit chain and operator policy reload.
/// </summary>
public sealed class SecurityTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.example.test";
    private const string Audience = "prescribeguard";
    private const string KeyA = "key-of-platform-a-0123456789";
    private const string KeyB = "key-of-platform-b-0123456789";
    private const string AuditorKey = "key-of-the-auditor-012345678";
    private const string OperatorKey = "key-of-the-operator-01234567";
    private static readonly byte[] SigningKey = RandomNumberGenerator.GetBytes(32);

    private readonly string _policyFolder = Directory.CreateTempSubdirectory("prescribeguard-policy-").FullName;
    private GuardServer _server = null!;

    private string PolicyPath => Path.Combine(_policyFolder, "policy.json");

    public async Task InitializeAsync()
    {
        File.Copy(DefaultPolicyPath(), PolicyPath);
        _server = await GuardServer.StartAsync(settings: SecureSettings());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policyFolder, recursive: true);
    }

    private DateTimeOffset Now => _server.Time.GetUtcNow();

    private PrescriptionGuard.PrescriptionGuardClient WithKey(string key) => new(_server.Invoker(("x-api-key", key)));

    private PrescriptionGuard.PrescriptionGuardClient WithBearer(string token) => new(_server.Invoker(("authorization", "Bearer " + token)));

    [Fact]
    public async Task Calls_without_credentials_are_unauthenticated_and_the_platform_header_is_not_trusted()
    {
        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => _server.AnonymousClient().CheckPrescriptionAsync(Requests.CleanCheck(Now)).ResponseAsync);
        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => _server.Client("platform-a").CheckPrescriptionAsync(Requests.CleanCheck(Now)).ResponseAsync);
        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => WithKey("not-a-key").CheckPrescriptionAsync(Requests.CleanCheck(Now)).ResponseAsync);
    }

    [Fact]
    public async Task Health_needs_no_credentials()
    {
        var health = await new Grpc.Health.V1.Health.HealthClient(_server.Channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Api_key_names_the_platform_whatever_header_it_sends()
    {
        var invoker = _server.Invoker(("x-api-key", KeyA), ("x-platform-id", "platform-b"));
        var decision = await new PrescriptionGuard.PrescriptionGuardClient(invoker).CheckPrescriptionAsync(Requests.CleanCheck(Now));

        await StatusAssert.FailsWith(StatusCode.NotFound, () => WithKey(KeyB).GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync);
        Assert.Equal(decision, await WithKey(KeyA).GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }));
    }

    [Fact]
    public async Task Valid_jwt_is_accepted_with_the_platform_from_its_claim()
    {
        var decision = await WithBearer(Token("platform-jwt")).CheckPrescriptionAsync(Requests.CleanCheck(Now));
        Assert.Equal(Outcome.Allow, decision.Outcome);

        await StatusAssert.FailsWith(StatusCode.NotFound, () => WithKey(KeyA).GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync);
        Assert.Equal(decision, await WithBearer(Token("platform-jwt")).GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }));
    }

    [Fact]
    public async Task Jwt_signed_with_a_key_from_the_jwks_file_is_accepted_and_other_keys_are_not()
    {
        using var issuerKey = RSA.Create(2048);
        using var strangerKey = RSA.Create(2048);
        var publicKey = new RsaSecurityKey(issuerKey.ExportParameters(includePrivateParameters: false)) { KeyId = "issuer-2026" };
        var jwks = new { keys = new[] { JsonWebKeyConverter.ConvertFromRSASecurityKey(publicKey) } };
        var jwksPath = Path.Combine(_policyFolder, "jwks.json");
        await File.WriteAllTextAsync(jwksPath, System.Text.Json.JsonSerializer.Serialize(jwks, new System.Text.Json.JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        var settings = SecureSettings();
        settings.Remove("Auth:Jwt:SigningKeys:0");
        settings["Auth:Jwt:JwksFile"] = jwksPath;
        await using var server = await GuardServer.StartAsync(settings: settings);

        string Signed(RSA key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["platform_id"] = "platform-rsa", ["roles"] = "platform" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "issuer-2026" }, SecurityAlgorithms.RsaSha256),
        });

        var accepted = new PrescriptionGuard.PrescriptionGuardClient(server.Invoker(("authorization", "Bearer " + Signed(issuerKey))));
        Assert.Equal(Outcome.Allow, (await accepted.CheckPrescriptionAsync(Requests.CleanCheck(server.Time.GetUtcNow()))).Outcome);

        var forged = new PrescriptionGuard.PrescriptionGuardClient(server.Invoker(("authorization", "Bearer " + Signed(strangerKey))));
        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => forged.CheckPrescriptionAsync(Requests.CleanCheck(server.Time.GetUtcNow(), "forged")).ResponseAsync);
    }

    public static TheoryData<string> BadTokens => new() { "expired", "wrong audience", "wrong issuer", "wrong key", "garbage", "malformed platform" };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Bad_jwt_is_unauthenticated(string kind)
    {
        var token = kind switch
        {
            "expired" => Token("platform-jwt", expires: DateTime.UtcNow.AddMinutes(-5), notBefore: DateTime.UtcNow.AddHours(-1)),
            "wrong audience" => Token("platform-jwt", audience: "someone-else"),
            "wrong issuer" => Token("platform-jwt", issuer: "https://evil.example.test"),
            "wrong key" => Token("platform-jwt", key: RandomNumberGenerator.GetBytes(32)),
            // Signed and valid, but naming a platform no record id could be scoped to.
            "malformed platform" => Token("clinic/one"),
            _ => "not.a.jwt",
        };

        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => WithBearer(token).CheckPrescriptionAsync(Requests.CleanCheck(Now)).ResponseAsync);
    }

    [Theory]
    [InlineData("clinic/one")]
    [InlineData("clinic one")]
    public async Task An_api_key_for_a_malformed_platform_id_stops_start_up_rather_than_fail_every_call(string platformId)
    {
        var settings = SecureSettings();
        settings["Auth:ApiKeys:0:PlatformId"] = platformId;

        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => GuardServer.StartAsync(settings: settings));

        Assert.Contains("PlatformId of 1-64 ASCII letters, digits", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auditor_reads_any_platforms_decision_but_cannot_check()
    {
        var decision = await WithKey(KeyA).CheckPrescriptionAsync(Requests.CleanCheck(Now));

        Assert.Equal(decision, await WithKey(AuditorKey).GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }));
        await StatusAssert.FailsWith(StatusCode.PermissionDenied, () => WithKey(AuditorKey).CheckPrescriptionAsync(Requests.CleanCheck(Now, "auditor-try")).ResponseAsync);
    }

    [Fact]
    public async Task Only_operators_reload_the_policy_and_an_invalid_file_keeps_the_active_policy()
    {
        var admin = new GuardAdmin.GuardAdminClient(_server.Invoker(("x-api-key", OperatorKey)));
        await StatusAssert.FailsWith(StatusCode.PermissionDenied, () => new GuardAdmin.GuardAdminClient(_server.Invoker(("x-api-key", KeyA))).ReloadPolicyAsync(new ReloadPolicyRequest()).ResponseAsync);

        var same = await admin.ReloadPolicyAsync(new ReloadPolicyRequest());
        Assert.False(same.Changed);

        await File.WriteAllTextAsync(PolicyPath, (await File.ReadAllTextAsync(DefaultPolicyPath())).Replace("\"reservationTtlMinutes\": 15", "\"reservationTtlMinutes\": 20", StringComparison.Ordinal));
        var changed = await admin.ReloadPolicyAsync(new ReloadPolicyRequest());
        Assert.True(changed.Changed);
        var decision = await WithKey(KeyA).CheckPrescriptionAsync(Requests.CleanCheck(Now, "after-reload"));
        Assert.Equal(changed.PolicyVersion, decision.PolicyVersion);
        Assert.Equal(Now.AddMinutes(20), decision.ReservationExpiresAt.ToDateTimeOffset());

        await File.WriteAllTextAsync(PolicyPath, "{ \"rules\": {} }");
        var reason = await StatusAssert.Reason(StatusCode.FailedPrecondition, () => admin.ReloadPolicyAsync(new ReloadPolicyRequest()).ResponseAsync);
        Assert.Equal("POLICY_INVALID", reason);
        var stillActive = await WithKey(KeyA).CheckPrescriptionAsync(Requests.CleanCheck(Now, "after-bad-reload", Requests.Patient("p-9", "Other", "Person", "1990-02-02")));
        Assert.Equal(changed.PolicyVersion, stillActive.PolicyVersion);
    }

    [Fact]
    public async Task Another_platform_learns_that_a_prescription_exists_but_none_of_its_identifiers()
    {
        var a = WithKey(KeyA);
        var check = Requests.CleanCheck(Now);
        check.Prescriber = Requests.Prescriber(Requests.OtherPrescriberNpi);
        check.Medication.DaysSupply = 7;
        var decision = await a.CheckPrescriptionAsync(check);
        await a.RecordPrescriptionAsync(Requests.RecordFor(check, decision, "rx-A-secret-77", Now));
        var dispense = Requests.Dispense(check.Patient, "rx-A-secret-77", "fill-A-secret-88", Now, 35, 7);
        dispense.Pharmacy = new Pharmacy { NcpdpId = "7654321" };
        await a.RecordDispenseAsync(dispense);

        var seenByB = await WithKey(KeyB).CheckPrescriptionAsync(Requests.CleanCheck(Now, "b-1", Requests.Patient("b-patient-1")));

        Assert.Equal(Outcome.Deny, seenByB.Outcome);
        Assert.All(seenByB.Findings, f => Assert.Empty(f.EvidenceIds));
        var duplicate = Assert.Single(seenByB.Findings, f => f.Code == "DUPLICATE_ACTIVE_KETAMINE");
        Assert.Contains("1 active ketamine prescription(s) and 0 pending reservation(s) on 1 platform(s)", duplicate.Detail, StringComparison.Ordinal);
        Assert.Contains("issued 0 day(s) ago", duplicate.Detail, StringComparison.Ordinal);
        var text = JsonFormatter.Default.Format(seenByB);
        foreach (var secret in new[] { "rx-A-secret-77", "fill-A-secret-88", "7654321", Requests.OtherPrescriberNpi, "platform-a", decision.DecisionId, "pt-1" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Calls_refused_by_authentication_or_the_rate_limit_are_counted_once_with_their_status()
    {
        // Both refusals happen before any interceptor: the call metrics must still see them.
        await using var limited = await GuardServer.StartAsync(settings: SecureSettings(permitsPerSecond: 1, burst: 1));
        var now = limited.Time.GetUtcNow();
        await StatusAssert.FailsWith(StatusCode.Unauthenticated, () => limited.AnonymousClient().CheckPrescriptionAsync(Requests.CleanCheck(now)).ResponseAsync);
        var a = new PrescriptionGuard.PrescriptionGuardClient(limited.Invoker(("x-api-key", KeyA)));
        Assert.Equal(Outcome.Allow, (await a.CheckPrescriptionAsync(Requests.CleanCheck(now, "first"))).Outcome);
        await StatusAssert.FailsWith(StatusCode.ResourceExhausted, () => a.CheckPrescriptionAsync(Requests.CleanCheck(now, "second")).ResponseAsync);
        const string check = "prescribeguard_grpc_requests_total{service=\"prescribeguard.v1.PrescriptionGuard\",method=\"CheckPrescription\",code=";
        string[] expected = [check + "\"UNAUTHENTICATED\"} 1", check + "\"RESOURCE_EXHAUSTED\"} 1", check + "\"OK\"} 1"];

        var metrics = await MetricsText.WhenContainsAsync(limited, expected);

        Assert.All(expected, line => Assert.Contains(line, metrics, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_platform_has_its_own_rate_limit_and_rejections_say_when_to_retry()
    {
        await using var limited = await GuardServer.StartAsync(settings: SecureSettings(permitsPerSecond: 1, burst: 3));
        var a = new PrescriptionGuard.PrescriptionGuardClient(limited.Invoker(("x-api-key", KeyA)));
        var now = limited.Time.GetUtcNow();

        RpcException? rejected = null;
        for (var i = 0; i < 10 && rejected is null; i++)
        {
            try
            {
                await a.CheckPrescriptionAsync(Requests.CleanCheck(now, $"burst-{i}", Requests.Patient($"p-{i}", "Burst", $"Patient{(char)('a' + i)}", "1980-01-01")));
            }
            catch (RpcException ex)
            {
                rejected = ex;
            }
        }

        Assert.NotNull(rejected);
        Assert.Equal(StatusCode.ResourceExhausted, rejected!.StatusCode);
        var retry = rejected.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry!.RetryDelay.ToTimeSpan() > TimeSpan.Zero);

        var b = new PrescriptionGuard.PrescriptionGuardClient(limited.Invoker(("x-api-key", KeyB)));
        var other = await b.CheckPrescriptionAsync(Requests.CleanCheck(now, "b-unaffected", Requests.Patient("b-1", "Unaffected", "Person", "1975-05-05")));
        Assert.Equal(Outcome.Allow, other.Outcome);
    }

    [Fact]
    public async Task Verify_audit_passes_on_a_clean_ledger_and_names_the_first_edited_decision()
    {
        var a = WithKey(KeyA);
        var first = await a.CheckPrescriptionAsync(Requests.CleanCheck(Now));
        var record = Requests.RecordFor(Requests.CleanCheck(Now), first, "rx-1", Now);
        await a.RecordPrescriptionAsync(record);
        var second = await a.CheckPrescriptionAsync(Requests.CleanCheck(Now, "req-2", Requests.Patient("p-2", "Second", "Patient", "1960-06-06")));
        var settings = new[] { $"--Guard:DataDirectory={_server.DataDirectory}" };

        var clean = new StringWriter();
        Assert.Equal(0, await AuditCommand.RunAsync(settings, clean));
        Assert.Contains("intact: 3 link(s)", clean.ToString(), StringComparison.Ordinal);

        Assert.Equal(1, await ExecuteOnLedgerAsync($"UPDATE decisions SET outcome = 2 WHERE decision_id = '{second.DecisionId}'"));

        var broken = new StringWriter();
        Assert.Equal(1, await AuditCommand.RunAsync(settings, broken));
        Assert.Contains($"link 3 (decision {second.DecisionId})", broken.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_audit_prints_the_heads_and_given_them_back_catches_the_chain_cut_back()
    {
        var a = WithKey(KeyA);
        await a.CheckPrescriptionAsync(Requests.CleanCheck(Now));
        var last = await a.CheckPrescriptionAsync(Requests.CleanCheck(Now, "req-last", Requests.Patient("p-last", "Last", "Patient", "1961-06-06")));
        var settings = new[] { $"--Guard:DataDirectory={_server.DataDirectory}" };
        var anchors = Path.Combine(_server.DataDirectory, "anchors.txt");

        // The whole output will do as the anchors file: only its anchor lines are read.
        var clean = new StringWriter();
        Assert.Equal(0, await AuditCommand.RunAsync(settings, clean));
        Assert.Matches("(?m)^anchor 0 2 [0-9a-f]{64}$", clean.ToString());
        await File.WriteAllTextAsync(anchors, clean.ToString());
        var held = new StringWriter();
        Assert.Equal(0, await AuditCommand.RunAsync([.. settings, $"--{AuditCommand.AnchorsSetting}={anchors}"], held));
        Assert.Contains("intact: 2 link(s) verified, 1 anchor(s) held", held.ToString(), StringComparison.Ordinal);

        Assert.Equal(2, await ExecuteOnLedgerAsync($"DELETE FROM audit_chain WHERE record_id = '{last.DecisionId}'; DELETE FROM decisions WHERE decision_id = '{last.DecisionId}'"));

        var alone = new StringWriter();
        Assert.Equal(0, await AuditCommand.RunAsync(settings, alone));
        var anchored = new StringWriter();
        Assert.Equal(1, await AuditCommand.RunAsync([.. settings, $"--{AuditCommand.AnchorsSetting}={anchors}"], anchored));
        Assert.Contains("link 2 (anchor *) of chain 0: the anchored link is gone", anchored.ToString(), StringComparison.Ordinal);

        await File.WriteAllTextAsync(anchors, "anchor 0 two " + new string('a', 64));
        var unreadable = new StringWriter();
        Assert.Equal(2, await AuditCommand.RunAsync([.. settings, $"--{AuditCommand.AnchorsSetting}={anchors}"], unreadable));
        Assert.Contains("line 1", unreadable.ToString(), StringComparison.Ordinal);

        // The broken run's output holds no anchor: given back, it must not pass as a check of nothing.
        await File.WriteAllTextAsync(anchors, anchored.ToString());
        var none = new StringWriter();
        Assert.Equal(2, await AuditCommand.RunAsync([.. settings, $"--{AuditCommand.AnchorsSetting}={anchors}"], none));
        Assert.Contains("holds no anchor line", none.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Runs SQL on the server's ledger file behind its back, as a tamperer would; the rows it changed.</summary>
    private async Task<int> ExecuteOnLedgerAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "prescribeguard.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    private Dictionary<string, string?> SecureSettings(int permitsPerSecond = 5000, int burst = 10000) => new()
    {
        ["Auth:TrustPlatformHeader"] = "false",
        ["Auth:ApiKeys:0:PlatformId"] = "platform-a",
        ["Auth:ApiKeys:0:Sha256"] = Sha256(KeyA),
        ["Auth:ApiKeys:1:PlatformId"] = "platform-b",
        ["Auth:ApiKeys:1:Sha256"] = Sha256(KeyB),
        ["Auth:ApiKeys:2:PlatformId"] = "audit-office",
        ["Auth:ApiKeys:2:Sha256"] = Sha256(AuditorKey),
        ["Auth:ApiKeys:2:Roles:0"] = "auditor",
        ["Auth:ApiKeys:3:PlatformId"] = "ops",
        ["Auth:ApiKeys:3:Sha256"] = Sha256(OperatorKey),
        ["Auth:ApiKeys:3:Roles:0"] = "operator",
        ["Auth:Jwt:Issuer"] = Issuer,
        ["Auth:Jwt:Audience"] = Audience,
        ["Auth:Jwt:SigningKeys:0"] = Convert.ToBase64String(SigningKey),
        ["RateLimit:PermitsPerSecond"] = permitsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimit:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Guard:PolicyPath"] = PolicyPath,
    };

    private static string DefaultPolicyPath() => Path.Combine(AppContext.BaseDirectory, "policy", "default.json");

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Token(string platform, string issuer = Issuer, string audience = Audience, DateTime? expires = null, DateTime? notBefore = null, byte[]? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            NotBefore = notBefore ?? DateTime.UtcNow.AddMinutes(-1),
            IssuedAt = notBefore ?? DateTime.UtcNow.AddMinutes(-1),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["platform_id"] = platform, ["roles"] = "platform" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey), SecurityAlgorithms.HmacSha256),
        });
}
