using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PrescribeGuard.Server.Hosting;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests.Support;

/// <summary>
/// A real guard server on a free loopback port, spoken to over a real HTTP/2 connection. It owns a
/// temporary data folder unless given one (to test restarts on the same SQLite file).
/// </summary>
public sealed class GuardServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDataDirectory;

    private GuardServer(WebApplication app, string dataDirectory, bool ownsDataDirectory, FakeTimeProvider time, Uri address, Uri metricsAddress)
    {
        _app = app;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Time = time;
        Address = address;
        MetricsAddress = metricsAddress;
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 4 * 1024 * 1024 });
    }

    public string DataDirectory { get; }

    public FakeTimeProvider Time { get; }

    public Uri Address { get; }

    /// <summary>The plain-HTTP endpoint of /metrics, /healthz and /readyz.</summary>
    public Uri MetricsAddress { get; }

    public GrpcChannel Channel { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<GuardServer> StartAsync(
        string? dataDirectory = null, IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("prescribeguard-test-").FullName;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = GuardApp.Create([], builder =>
        {
            var configuration = new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                // Tests name their platform in x-platform-id unless they test credentials.
                ["Auth:TrustPlatformHeader"] = "true",
                ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
                ["Kestrel:Endpoints:Metrics:Url"] = "http://127.0.0.1:0",
                ["Kestrel:Endpoints:Metrics:Protocols"] = "Http1",
                ["Guard:DataDirectory"] = dataDirectory,
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                configuration[key] = value;
            }

            builder.Configuration.AddInMemoryCollection(configuration);
            builder.Services.AddSingleton<TimeProvider>(time);
            configure?.Invoke(builder);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A guard that refuses to start must not keep its ledger open for the next one, nor leave its folder.
            await app.DisposeAsync();
            if (owns)
            {
                Directory.Delete(dataDirectory, recursive: true);
            }

            throw;
        }

        // The server records which bound address is the metrics endpoint; the other one is gRPC.
        var metricsAddress = app.Services.GetRequiredService<MetricsEndpoint>().Address
            ?? throw new InvalidOperationException("the metrics endpoint was not bound");
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(bound => new Uri(bound))
            .First(bound => bound.Port != metricsAddress.Port);
        return new GuardServer(app, dataDirectory, owns, time, address, metricsAddress);
    }

    /// <summary>A client that names <paramref name="platformId"/> in the x-platform-id header.</summary>
    public PrescriptionGuard.PrescriptionGuardClient Client(string platformId = "platform-a") =>
        new(Channel.Intercept(metadata =>
        {
            metadata.Add("x-platform-id", platformId);
            return metadata;
        }));

    public PrescriptionGuard.PrescriptionGuardClient AnonymousClient() => new(Channel);

    /// <summary>
    /// Waits for the guard's first Redis connection. The cache fails fast until it is up (by design),
    /// which on a loaded machine can outlast the connect timeout; tests that count cache hits wait.
    /// </summary>
    public async Task WaitForRedisAsync()
    {
        var multiplexer = Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!multiplexer.IsConnected)
        {
            Assert.True(DateTime.UtcNow < deadline, "the guard's Redis connection did not come up within 15 s");
            await Task.Delay(20);
        }
    }

    /// <summary>A call invoker that sends exactly these headers (credentials under test).</summary>
    public CallInvoker Invoker(params (string Name, string Value)[] headers) =>
        Channel.Intercept(metadata =>
        {
            foreach (var (name, value) in headers)
            {
                metadata.Add(name, value);
            }

            return metadata;
        });

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDataDirectory)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
