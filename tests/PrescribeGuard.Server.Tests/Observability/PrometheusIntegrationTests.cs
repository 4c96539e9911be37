using System.Text;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.Testing;
using Xunit.Abstractions;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>
/// A guard (SQLite ledger, real Redis cache) runs the mixed workload while a real Prometheus scrapes
/// it every second and evaluates alerts.yml; then every dashboard expression must return series, and
/// every alert and recording rule must evaluate without error with series for each of its operands
/// (see <see cref="PromQlOperands"/>). The list with series counts is printed to the test output.
/// </summary>
public sealed class PrometheusIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(60);

    private RedisServer _redis = null!;
    private GuardServer _guard = null!;
    private PrometheusServer _prometheus = null!;
    private string _policyDirectory = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartNewAsync();
        _policyDirectory = Directory.CreateTempSubdirectory("prescribeguard-policy-").FullName;
        _guard = await GuardServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Cache:Provider"] = "redis",
            ["Cache:RedisConnection"] = _redis.ConnectionString,
            ["Guard:PolicyPath"] = ObservabilityWorkload.WriteShadowPolicy(_policyDirectory),
            ["Observability:HealthPublishSeconds"] = "1",
            ["Observability:ReservationSweepSeconds"] = "3600",
        });
        await _guard.WaitForRedisAsync();
        _prometheus = await PrometheusServer.StartAsync([_guard.MetricsAddress.Authority], [DeployFiles.AlertRules]);
    }

    public async Task DisposeAsync()
    {
        await _prometheus.DisposeAsync();
        await _guard.DisposeAsync();
        await _redis.DisposeAsync();
        Directory.Delete(_policyDirectory, recursive: true);
    }

    [Fact]
    public async Task Every_dashboard_and_alert_expression_returns_series_from_a_real_prometheus()
    {
        await _prometheus.WaitForScrapesAsync(2, ScrapeTimeout);
        await ObservabilityWorkload.RunAsync(_guard);
        await _prometheus.WaitForScrapesAsync(4, ScrapeTimeout);

        var failures = new List<string>();
        var report = new StringBuilder();
        report.AppendLine("Dashboard expressions (deploy/grafana/prescribeguard.json):");
        foreach (var (panel, expression) in DeployFiles.DashboardExpressions())
        {
            var result = await _prometheus.QueryAsync(expression);
            report.AppendLine($"  [{result}] {panel}: {expression}");
            if (!result.Succeeded || result.SeriesCount == 0)
            {
                failures.Add($"dashboard '{panel}': {expression} -> {result}");
            }
        }

        report.AppendLine("Rules (deploy/prometheus/alerts.yml): the whole expression, then each operand:");
        foreach (var (name, isAlert, expression) in DeployFiles.Rules())
        {
            var whole = await _prometheus.QueryAsync(expression);
            report.AppendLine($"  {(isAlert ? "alert" : "record")} {name}: [{whole}] {expression}");
            if (!whole.Succeeded || (!isAlert && whole.SeriesCount == 0))
            {
                failures.Add($"rule {name}: {expression} -> {whole}");
            }

            foreach (var operand in PromQlOperands.Of(expression))
            {
                var result = await _prometheus.QueryAsync(operand);
                report.AppendLine($"      [{result}] {operand}");
                if (!result.Succeeded || result.SeriesCount == 0)
                {
                    failures.Add($"rule {name} operand: {operand} -> {result}");
                }
            }
        }

        var rules = await _prometheus.RulesAsync();
        report.AppendLine($"Prometheus loaded {rules.Count} rules: {string.Join(", ", rules.Select(rule => $"{rule.Name}={rule.Health}"))}");
        failures.AddRange(rules.Where(rule => rule.Health != "ok").Select(rule => $"rule {rule.Name} is {rule.Health}: {rule.LastError}"));
        Assert.Equal(DeployFiles.Rules().Count, rules.Count);

        output.WriteLine(report.ToString());
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures) + Environment.NewLine + report);
    }
}
