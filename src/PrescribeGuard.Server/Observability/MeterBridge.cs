using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Exports the guard's own System.Diagnostics.Metrics instruments (meters named PrescribeGuard.*,
/// e.g. the Redis cache's "PrescribeGuard.Cache") into the guard's Prometheus registry with
/// Prometheus types and names: a Counter stays a counter ending in <c>_total</c>, a histogram in
/// seconds ends in <c>_seconds</c>, an instrument named without the <c>prescribeguard_</c> prefix
/// gets its meter's name as prefix. Only meters of this application's IMeterFactory (or unscoped
/// meters) are exported, so guards sharing a test process keep their own counts.
/// </summary>
public sealed class MeterBridge : IDisposable
{
    public const string MeterPrefix = "PrescribeGuard";

    // The guard's latency buckets, from 10 µs: what these instruments time (an fsync on a fast disk,
    // a checkpoint) can be far shorter than a call.
    private static readonly double[] SecondsBuckets = [0.00001, 0.000025, 0.00005, .. GuardMetrics.LatencyBuckets];

    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly IMeterFactory? _meterFactory;
    private readonly ConcurrentDictionary<(Instrument Instrument, string LabelKey), Action<double, string[]>?> _sinks = new();
    private volatile bool _disposed;

    public MeterBridge(CollectorRegistry registry, IMeterFactory? meterFactory)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars(); // as GuardMetrics: no traces to point to
        _meterFactory = meterFactory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) &&
                (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, _meterFactory)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<byte>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<short>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<int>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<long>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<float>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<double>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<decimal>((i, m, t, _) => Record(i, (double)m, t));
        _listener.Start();
        registry.AddBeforeCollectCallback(() =>
        {
            if (!_disposed)
            {
                _listener.RecordObservableInstruments();
            }
        });
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    /// <summary>The Prometheus name an instrument is exported as.</summary>
    public static string PrometheusName(Instrument instrument)
    {
        var name = Sanitize(instrument.Name);
        if (!name.StartsWith("prescribeguard_", StringComparison.Ordinal))
        {
            name = Sanitize(instrument.Meter.Name) + "_" + name;
        }

        if (IsHistogram(instrument) && instrument.Unit is "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
        {
            name += "_seconds";
        }

        if (IsCounter(instrument) && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = tags.ToArray();
        Array.Sort(pairs, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var labelNames = pairs.Select(pair => Sanitize(pair.Key)).ToArray();
        var labelValues = pairs.Select(pair => pair.Value?.ToString() ?? string.Empty).ToArray();
        var sink = _sinks.GetOrAdd((instrument, string.Join(',', labelNames)), key => CreateSink(key.Instrument, labelNames));
        sink?.Invoke(value, labelValues);
    }

    private Action<double, string[]>? CreateSink(Instrument instrument, string[] labelNames)
    {
        var name = PrometheusName(instrument);
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        try
        {
            var type = instrument.GetType().GetGenericTypeDefinition();
            if (type == typeof(Counter<>))
            {
                var counter = _factory.CreateCounter(name, help, labelNames);
                return (value, labels) => counter.WithLabels(labels).Inc(value);
            }

            if (type == typeof(ObservableCounter<>))
            {
                var counter = _factory.CreateCounter(name, help, labelNames);
                return (value, labels) => counter.WithLabels(labels).IncTo(value);
            }

            if (type == typeof(UpDownCounter<>))
            {
                var gauge = _factory.CreateGauge(name, help, labelNames);
                return (value, labels) => gauge.WithLabels(labels).Inc(value);
            }

            if (type == typeof(ObservableGauge<>) || type == typeof(ObservableUpDownCounter<>) || type == typeof(Gauge<>))
            {
                var gauge = _factory.CreateGauge(name, help, labelNames);
                return (value, labels) => gauge.WithLabels(labels).Set(value);
            }

            if (type == typeof(Histogram<>))
            {
                var histogram = _factory.CreateHistogram(name, help, new HistogramConfiguration
                {
                    LabelNames = labelNames,
                    Buckets = instrument.Unit is "s" ? SecondsBuckets : Prometheus.Histogram.ExponentialBuckets(1, 2, 16),
                });
                return (value, labels) => histogram.WithLabels(labels).Observe(value);
            }
        }
        catch (InvalidOperationException)
        {
            // The same name with another label set (an instrument recorded with varying tags): keep the first.
        }

        return null;
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument.GetType().GetGenericTypeDefinition() is var type && (type == typeof(Counter<>) || type == typeof(ObservableCounter<>));

    private static bool IsHistogram(Instrument instrument) => instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>);

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }

        return builder.ToString();
    }
}
