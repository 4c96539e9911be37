using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PrescribeGuard.Ledger;
using PrescribeGuard.Server.Tests.Support;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>/metrics, /healthz and /readyz live on the plain-HTTP metrics endpoint only.</summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private GuardServer _server = null!;
    private string _policyDirectory = null!;

    public async Task InitializeAsync()
    {
        _policyDirectory = Directory.CreateTempSubdirectory("prescribeguard-policy-").FullName;
        _server = await GuardServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Guard:PolicyPath"] = ObservabilityWorkload.WriteShadowPolicy(_policyDirectory),
            ["Observability:ReservationSweepSeconds"] = "3600",
        });
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_policyDirectory, recursive: true);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    public async Task Metrics_endpoint_serves_health_and_metrics_over_http1(string path)
    {
        using var response = await _http.GetAsync(new Uri(_server.MetricsAddress, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
    }

    [Fact]
    public async Task Readyz_reports_the_policy_and_the_ledger()
    {
        var body = await _http.GetStringAsync(new Uri(_server.MetricsAddress, "/readyz"));
        Assert.Equal("Healthy", body);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Grpc_endpoint_serves_none_of_them(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.Address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("prescribeguard_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_endpoint_serves_nothing_else()
    {
        using var response = await _http.GetAsync(new Uri(_server.MetricsAddress, "/prescribeguard.v1.PrescriptionGuard/CheckPrescription"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_ledger_write_path_shows_decisions_by_path_group_commits_and_wal_fsyncs()
    {
        await ObservabilityWorkload.RunAsync(_server);
        var totals = _server.Services.GetRequiredService<LedgerMetrics>().Snapshot();
        var text = await _http.GetStringAsync(new Uri(_server.MetricsAddress, "/metrics"));

        // The embedded ledger writes every decision in its group-committed transaction.
        Assert.True(totals.TransactionDecisions > 0);
        Assert.Equal(0, totals.SingleCommandDecisions);
        Assert.Contains($"prescribeguard_ledger_decision_writes_total{{path=\"transaction\"}} {totals.TransactionDecisions}", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_ledger_decision_writes_total{path=\"single_command\"} 0", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^prescribeguard_ledger_group_commit_writes_count [1-9]", text);
        Assert.Matches(@"(?m)^prescribeguard_ledger_wal_sync_seconds_count [1-9]", text);
        Assert.Contains("prescribeguard_ledger_wal_sync_seconds_bucket{le=\"0.0001\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_metrics_exposition_carries_no_exemplars()
    {
        // The guard exports no traces: an exemplar would name a trace id that nothing holds.
        await ObservabilityWorkload.RunAsync(_server);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.MetricsAddress, "/metrics"));
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("application/openmetrics-text", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^prescribeguard_grpc_request_duration_seconds_count\{[^}]*code=""OK""\} [1-9]", text);
        Assert.DoesNotContain("trace_id", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^prescribeguard_\S+ \S+ # \{", text);
    }

    [Fact]
    public async Task Workload_shows_in_the_metrics_with_bounded_labels_only()
    {
        await ObservabilityWorkload.RunAsync(_server);
        var text = await _http.GetStringAsync(new Uri(_server.MetricsAddress, "/metrics"));

        Assert.Contains("prescribeguard_decisions_total{outcome=\"deny\",platform=\"platform-b\",dry_run=\"false\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_decisions_total{outcome=\"allow\",platform=\"platform-a\",dry_run=\"true\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_findings_total{code=\"DUPLICATE_ACTIVE_KETAMINE\",severity=\"critical\",shadow=\"false\"}", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_findings_total{code=\"AUDIO_ONLY_ENCOUNTER\",severity=\"warning\",shadow=\"true\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_grpc_requests_total{service=\"prescribeguard.v1.PrescriptionGuard\",method=\"CheckPrescription\",code=\"INVALID_ARGUMENT\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_grpc_request_duration_seconds_bucket{service=\"prescribeguard.v1.PrescriptionGuard\",method=\"CheckPrescription\",code=\"OK\",le=\"0.0001\"}", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_reservations_total{event=\"created\"} 5", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_reservations_total{event=\"confirmed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_reservations_total{event=\"released\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_reservations_total{event=\"expired\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_ledger_operation_duration_seconds_count{operation=\"decide\"}", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_policy_info{name=\"default\",version=\"sha256:", text, StringComparison.Ordinal);
        Assert.Contains("prescribeguard_build_info{", text, StringComparison.Ordinal);

        foreach (var patient in ObservabilityWorkload.Patients)
        {
            Assert.DoesNotContain(patient.PlatformPatientId, text, StringComparison.Ordinal);
            Assert.DoesNotContain(patient.FamilyName, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("dec_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("allow-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Requests.PrescriberNpi, text, StringComparison.Ordinal);
    }
}
