using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrescribeGuard.Domain.Errors;
using PrescribeGuard.Server.Interceptors;
using PrescribeGuard.Server.Tests.Observability;
using PrescribeGuard.Server.Tests.Support;
using GrpcHealth = Grpc.Health.V1.Health;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// A streaming handler's own failure, through the guard's error mapping and its UNKNOWN remapping,
/// over real HTTP/2. The guard's streaming methods (health Watch, reflection) do not fail on demand,
/// so a health service whose Watch fails as asked stands in for them, in a host with only those parts.
/// </summary>
public sealed class StreamingErrorMappingTests : IAsyncLifetime
{
    private readonly CapturingLoggerProvider _log = new();
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();

        // Not the guard's appsettings.json beside the tests (its endpoints, its logging): only what is set here.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(_log);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(options => options.Interceptors.Add<ErrorMappingInterceptor>());
        _app = builder.Build();
        _app.UseMiddleware<UnparsableMessageMiddleware>();
        _app.MapGrpcService<FailingHealth>();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _channel = GrpcChannel.ForAddress(address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_streaming_handler_that_fails_unexpectedly_is_internal_not_an_unparsable_request()
    {
        var ex = await StatusAssert.FailsWith(StatusCode.Internal, () => FirstWatchAnswerAsync(FailingHealth.Unexpected));

        Assert.Equal("internal error", ex.Status.Detail);
    }

    [Fact]
    public async Task A_streaming_handler_failing_with_a_domain_error_gets_its_status_and_reason()
    {
        var reason = await StatusAssert.Reason(StatusCode.Unavailable, () => FirstWatchAnswerAsync(FailingHealth.Unavailable));

        Assert.Equal("LEDGER_UNAVAILABLE", reason);
    }

    [Fact]
    public async Task A_streaming_handler_that_does_not_fail_answers()
    {
        var answer = await FirstWatchAnswerAsync("anything else");

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }

    [Fact]
    public async Task A_caller_leaving_a_stream_is_a_cancellation_not_a_failure()
    {
        using var leaving = new CancellationTokenSource();
        using var call = new GrpcHealth.HealthClient(_channel).Watch(new HealthCheckRequest { Service = FailingHealth.ResetWhenLeft }, cancellationToken: leaving.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await leaving.CancelAsync();

        // The host logs each request's end once the whole pipeline, error mapping included, is done.
        await WhenLoggedAsync(entry => entry.Contains(": Request finished", StringComparison.Ordinal) &&
            entry.Contains("/grpc.health.v1.Health/Watch", StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Entries, entry => entry.StartsWith("Error ", StringComparison.Ordinal) || entry.StartsWith("Critical ", StringComparison.Ordinal));
    }

    private async Task WhenLoggedAsync(Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!_log.Entries.Any(condition))
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected log entry did not come within 10 s");
            await Task.Delay(10);
        }
    }

    private async Task<HealthCheckResponse> FirstWatchAnswerAsync(string service)
    {
        using var call = new GrpcHealth.HealthClient(_channel).Watch(new HealthCheckRequest { Service = service });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current;
    }

    private sealed class FailingHealth : GrpcHealth.HealthBase
    {
        public const string Unexpected = "fail-unexpectedly";
        public const string Unavailable = "fail-unavailable";
        public const string ResetWhenLeft = "reset-when-left";

        public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
        {
            switch (request.Service)
            {
                case Unexpected:
                    throw new InvalidOperationException("a defect in the handler");
                case Unavailable:
                    throw GuardException.Unavailable("LEDGER_UNAVAILABLE", "the ledger is down");
                case ResetWhenLeft:
                    // What Kestrel's stream does to a read once the caller reset it.
                    await responseStream.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    throw new IOException("The client reset the request stream.");
                default:
                    await responseStream.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
                    break;
            }
        }
    }
}
