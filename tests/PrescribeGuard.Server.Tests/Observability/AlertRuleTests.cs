using PrescribeGuard.Testing;
using Xunit.Abstractions;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>promtool validates the rules and runs their unit tests (deploy/prometheus/alerts_test.yml).</summary>
public sealed class AlertRuleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rules_are_valid()
    {
        var (exitCode, text) = await Promtool.RunAsync(DeployFiles.PrometheusDirectory, "check", "rules", "alerts.yml");
        output.WriteLine(text);
        Assert.True(exitCode == 0, text);
    }

    [Fact]
    public async Task Prometheus_config_is_valid()
    {
        var (exitCode, text) = await Promtool.RunAsync(DeployFiles.PrometheusDirectory, "check", "config", "prometheus.yml");
        output.WriteLine(text);
        Assert.True(exitCode == 0, text);
    }

    [Fact]
    public async Task Every_alert_fires_and_stays_silent_as_its_unit_tests_say()
    {
        var (exitCode, text) = await Promtool.RunAsync(DeployFiles.PrometheusDirectory, "test", "rules", "alerts_test.yml");
        output.WriteLine(text);
        Assert.True(exitCode == 0, text);
    }

    [Fact]
    public void Every_alert_has_unit_tests_and_a_runbook()
    {
        var tests = File.ReadAllText(Path.Combine(DeployFiles.PrometheusDirectory, "alerts_test.yml"));
        var runbook = File.ReadAllText(Path.Combine(DeployFiles.RepositoryRoot, "docs", "operations.md"));
        var alerts = DeployFiles.Rules().Where(rule => rule.IsAlert).Select(rule => rule.Name).ToArray();
        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            // Fires at least once (a non-empty exp_alerts) and is asserted silent at least once.
            var blocks = tests.Split("alertname: " + alert + "\n", StringSplitOptions.None).Skip(1).ToArray();
            Assert.True(blocks.Any(block => block.TrimStart().StartsWith("exp_alerts:\n", StringComparison.Ordinal)), $"{alert} is never asserted to fire");
            Assert.True(blocks.Any(block => block.TrimStart().StartsWith("exp_alerts: []", StringComparison.Ordinal)), $"{alert} is never asserted silent");
            Assert.True(runbook.Contains("### " + alert, StringComparison.Ordinal), $"docs/operations.md has no runbook section for {alert}");
        }
    }

    [Theory]
    [InlineData("up{job=\"x\"} == 0", new[] { "up{job=\"x\"}" })]
    [InlineData("a / b > 0.25 and c > 2 * d and e > 0.05", new[] { "a / b", "c", "2 * d", "e" })]
    [InlineData("(x or on (i) 0 * y) / on (i) z > 0.01", new[] { "(x or on (i) 0 * y) / on (i) z" })]
    [InlineData("rate(m{code=~\"A|B\",c!=\"d\"}[5m]) >= bool 1", new[] { "rate(m{code=~\"A|B\",c!=\"d\"}[5m])" })]
    public void Alert_expressions_split_into_their_operands(string expression, string[] operands) =>
        Assert.Equal(operands, PromQlOperands.Of(expression));
}
