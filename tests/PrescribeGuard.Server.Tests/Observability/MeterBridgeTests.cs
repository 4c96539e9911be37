using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PrescribeGuard.Server.Observability;
using Prometheus;

namespace PrescribeGuard.Server.Tests.Observability;

public sealed class MeterBridgeTests
{
    [Fact]
    public async Task Bridged_instruments_carry_no_exemplars_even_inside_a_trace()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var registry = Metrics.NewCustomRegistry();
        using var bridge = new MeterBridge(registry, meterFactory);
        var meter = meterFactory.Create(MeterBridge.MeterPrefix + ".Tests");
        var writes = meter.CreateCounter<long>("bridge_test_writes");
        var waits = meter.CreateHistogram<double>("bridge_test_wait", unit: "s");

        using (new Activity("check").Start())
        {
            writes.Add(2);
            waits.Record(0.002);
        }

        using var exposition = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(exposition, ExpositionFormat.OpenMetricsText);
        var text = System.Text.Encoding.UTF8.GetString(exposition.ToArray());

        Assert.Contains("prescribeguard_tests_bridge_test_writes_total 2", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^prescribeguard_tests_bridge_test_wait_seconds_count 1", text);
        Assert.DoesNotContain("trace_id", text, StringComparison.Ordinal);
    }
}
