using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using PrescribeGuard.V1;
using Prometheus;

namespace PrescribeGuard.Server.Observability;

/// <summary>
/// Every metric the guard exports, in its own registry (one per application, so several guards in
/// one test process do not share counts). Names follow Prometheus conventions: the
/// <c>prescribeguard_</c> prefix, <c>_total</c> counters, base units (<c>_seconds</c>), and only
/// bounded labels: never a patient, prescriber, decision or request id.
/// </summary>
public sealed class GuardMetrics
{
    /// <summary>100 µs to 1 s: the guard's budget is milliseconds, its timeouts about a second.</summary>
    public static readonly double[] LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    public static readonly string[] LedgerOperations =
        ["migrate", "ping", "decide", "record_prescription", "release_decision", "record_dispense", "record_encounter", "get_decision", "load_history"];

    public static readonly string[] ReservationEvents = ["created", "confirmed", "released", "expired"];

    private static readonly string[] Outcomes = ["allow", "review", "deny"];
    private static readonly string[] DryRunValues = ["false", "true"];

    private readonly PlatformLabels _platforms;
    private readonly ConcurrentDictionary<string, bool> _initializedPlatforms = new(StringComparer.Ordinal);
    private readonly Counter _decisions;
    private readonly Counter _findings;
    private readonly Counter _grpcRequests;
    private readonly Histogram _grpcDuration;
    private readonly Histogram _ledgerDuration;
    private readonly Counter _ledgerErrors;
    private readonly Counter _reservations;
    private readonly Counter _reservationsUntracked;
    private readonly Gauge _reservationsPending;
    private readonly Gauge _policyInfo;
    private readonly Counter _policyLoadFailures;
    private readonly Gauge _dependencyUp;
    private readonly Lock _policyGate = new();
    private (string Name, string Version)? _policyLabels;

    public GuardMetrics(int maxPlatformLabels)
    {
        Registry = Metrics.NewCustomRegistry();
        _platforms = new PlatformLabels(maxPlatformLabels);
        var factory = Metrics.WithCustomRegistry(Registry);

        // An exemplar names the trace of an observation; the guard exports no traces, and looking
        // for one cost every observation a read of the current activity and an exemplar's labels.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();

        var buildInfo = factory.CreateGauge("prescribeguard_build_info", "Always 1; the labels name the running build.", "version", "revision", "runtime");
        var (version, revision) = BuildVersion();
        buildInfo.WithLabels(version, revision, RuntimeInformation.FrameworkDescription).Set(1);

        _decisions = factory.CreateCounter(
            "prescribeguard_decisions_total",
            "Checks decided (replays of an earlier decision are not counted), by outcome, calling platform and dry run.",
            "outcome", "platform", "dry_run");
        _findings = factory.CreateCounter(
            "prescribeguard_findings_total",
            "Findings reported in decisions, by rule code, severity and whether the rule is a shadow rule.",
            "code", "severity", "shadow");
        _grpcRequests = factory.CreateCounter(
            "prescribeguard_grpc_requests_total",
            "gRPC calls handled, by service, method and status code.",
            "service", "method", "code");
        _grpcDuration = factory.CreateHistogram(
            "prescribeguard_grpc_request_duration_seconds",
            "Time to handle a unary gRPC call, by service, method and status code.",
            new HistogramConfiguration { LabelNames = ["service", "method", "code"], Buckets = LatencyBuckets });
        _ledgerDuration = factory.CreateHistogram(
            "prescribeguard_ledger_operation_duration_seconds",
            "Time of one ledger operation (successful or not), by operation.",
            new HistogramConfiguration { LabelNames = ["operation"], Buckets = [.. LatencyBuckets, 2.5, 5] });
        _ledgerErrors = factory.CreateCounter(
            "prescribeguard_ledger_errors_total",
            "Ledger operations that failed because the store failed (unreachable, timed out, unexpected error); refusals such as NOT_FOUND are answers, not errors.",
            "operation");
        _reservations = factory.CreateCounter(
            "prescribeguard_reservations_total",
            "Reservation events: created by a check, confirmed by recording its prescription, released, or expired while still pending (counted by the instance that created it).",
            "event");
        _reservationsUntracked = factory.CreateCounter(
            "prescribeguard_reservations_untracked_total",
            "Reservations created while the expiry tracker was full; their expiry is not counted.");
        _reservationsPending = factory.CreateGauge(
            "prescribeguard_reservations_pending",
            "Reservations this instance created that are neither confirmed, released nor known to have expired.");
        _policyInfo = factory.CreateGauge("prescribeguard_policy_info", "Always 1; the labels name the active policy.", "name", "version");
        _policyLoadFailures = factory.CreateCounter("prescribeguard_policy_load_failures_total", "Policy files that failed to load or validate (the last good policy stays active).");
        _dependencyUp = factory.CreateGauge("prescribeguard_dependency_up", "1 when the dependency's health check passes, 0 when it is degraded or unhealthy.", "dependency");

        // Zero series for every bounded label value known up front, so rates and ratios exist before the first event.
        foreach (var operation in LedgerOperations)
        {
            _ledgerErrors.WithLabels(operation);
        }

        foreach (var reservationEvent in ReservationEvents)
        {
            _reservations.WithLabels(reservationEvent);
        }
    }

    public CollectorRegistry Registry { get; }

    public void Decided(string platformId, Decision decision)
    {
        var platform = Platform(platformId);
        _decisions.WithLabels(Label(decision.Outcome), platform, decision.DryRun ? "true" : "false").Inc();
        foreach (var finding in decision.Findings)
        {
            _findings.WithLabels(finding.Code, Label(finding.Severity), finding.Shadow ? "true" : "false").Inc();
        }
    }

    public void GrpcCall(string service, string method, string code, double seconds)
    {
        _grpcRequests.WithLabels(service, method, code).Inc();
        _grpcDuration.WithLabels(service, method, code).Observe(seconds);
    }

    public void GrpcStreamStarted(string service, string method, string code) => _grpcRequests.WithLabels(service, method, code).Inc();

    public void LedgerOperation(string operation, double seconds, bool failed)
    {
        _ledgerDuration.WithLabels(operation).Observe(seconds);
        if (failed)
        {
            _ledgerErrors.WithLabels(operation).Inc();
        }
    }

    public void Reservation(string reservationEvent) => _reservations.WithLabels(reservationEvent).Inc();

    public void ReservationUntracked() => _reservationsUntracked.Inc();

    public void ReservationsPending(int count) => _reservationsPending.Set(count);

    public void Policy(string name, string version)
    {
        lock (_policyGate)
        {
            if (_policyLabels == (name, version))
            {
                return;
            }

            if (_policyLabels is { } previous)
            {
                _policyInfo.RemoveLabelled(previous.Name, previous.Version);
            }

            _policyInfo.WithLabels(name, version).Set(1);
            _policyLabels = (name, version);
        }
    }

    public void PolicyLoadFailures(long total) => _policyLoadFailures.IncTo(total);

    public void DependencyUp(string dependency, bool up) => _dependencyUp.WithLabels(dependency).Set(up ? 1 : 0);

    private string Platform(string platformId)
    {
        var platform = _platforms.For(platformId);
        if (_initializedPlatforms.TryAdd(platform, true))
        {
            // Every outcome of a platform exists from its first decision, so its deny ratio is 0, not absent.
            foreach (var outcome in Outcomes)
            {
                foreach (var dryRun in DryRunValues)
                {
                    _decisions.WithLabels(outcome, platform, dryRun);
                }
            }
        }

        return platform;
    }

    private static string Label(Outcome outcome) => outcome switch
    {
        Outcome.Allow => "allow",
        Outcome.Review => "review",
        Outcome.Deny => "deny",
        _ => "unspecified",
    };

    private static string Label(Severity severity) => severity switch
    {
        Severity.Info => "info",
        Severity.Warning => "warning",
        Severity.Critical => "critical",
        _ => "unspecified",
    };

    private static (string Version, string Revision) BuildVersion()
    {
        var informational = typeof(GuardMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(GuardMetrics).Assembly.GetName().Version?.ToString()
            ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }
}
