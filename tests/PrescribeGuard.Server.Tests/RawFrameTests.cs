using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// Bytes no well-behaved client would send, in real gRPC frames over HTTP/2: each gets a deliberate
/// status, never UNKNOWN or INTERNAL, and the server keeps answering.
/// </summary>
public sealed class RawFrameTests : RawGrpcTestBase
{
    private const string CheckMethod = "/prescribeguard.v1.PrescriptionGuard/CheckPrescription";

    public static TheoryData<string, byte[]> Payloads => new()
    {
        { "garbage bytes", [0xFF, 0xFE, 0xFD, 0x01, 0x02, 0x03, 0x04] },
        { "truncated length-delimited field", [0x0A, 0x20, 0x41, 0x42] },
        { "invalid UTF-8 in request_id", [0x0A, 0x03, 0xC3, 0x28, 0xFF] },
        { "invalid UTF-8 in a nested name", [0x12, 0x05, 0x12, 0x03, 0xED, 0xA0, 0x80] },
        { "wrong wire type for request_id", [0x0D, 0x01, 0x02, 0x03, 0x04] },
        { "unknown field only", [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01] },
        { "empty message", [] },
    };

    [Fact]
    public async Task A_streamed_request_message_that_cannot_be_parsed_stays_invalid_argument()
    {
        // Reflection is a bidirectional stream: its handler reads (and so parses) each request itself,
        // inside the error mapping, which would otherwise answer the parser's exception as INTERNAL.
        var (status, message) = await Raw.SendAsync(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", RawGrpc.Frame([0xFF, 0xFE, 0xFD, 0x01, 0x02, 0x03, 0x04]));

        Assert.Equal("3", status);
        Assert.Contains("could not be parsed", message, StringComparison.Ordinal);
        var healthy = await Server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Server.Time.GetUtcNow(), "after-streamed-garbage"));
        Assert.Equal(Outcome.Allow, healthy.Outcome);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task Malformed_frames_get_a_deliberate_status(string kind, byte[] payload)
    {
        var (status, message) = await Raw.SendAsync(CheckMethod, RawGrpc.Frame(payload));

        Assert.True(status is "3" or "16", $"{kind}: grpc-status {status} {message}");
        var healthy = await Server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Server.Time.GetUtcNow(), "after-" + kind.Replace(' ', '-')));
        Assert.Equal(Outcome.Allow, healthy.Outcome);
    }

    [Fact]
    public async Task A_second_message_in_a_unary_call_is_invalid()
    {
        var request = Google.Protobuf.MessageExtensions.ToByteArray(Requests.CleanCheck(Server.Time.GetUtcNow(), "twice"));

        var (status, message) = await Raw.SendAsync(CheckMethod, [.. RawGrpc.Frame(request), .. RawGrpc.Frame(request)]);

        Assert.True(status == "3", $"grpc-status {status} {message}");
    }

    [Fact]
    public async Task Calls_refused_before_any_interceptor_are_counted_once_with_the_status_sent()
    {
        // They fail before any interceptor runs, so the call metrics would otherwise never see them.
        await Raw.SendAsync(CheckMethod, RawGrpc.Frame([0xFF, 0xFE, 0xFD, 0x01, 0x02, 0x03, 0x04]));
        await Raw.SendAsync(CheckMethod, RawGrpc.Frame([0x0A, 0x01, 0x41], declaredLength: 64));
        await Raw.SendAsync(CheckMethod, RawGrpc.Frame(new byte[512 * 1024]));
        Assert.Equal(Outcome.Allow, (await Server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Server.Time.GetUtcNow(), "counted-once"))).Outcome);
        const string check = "prescribeguard_grpc_requests_total{service=\"prescribeguard.v1.PrescriptionGuard\",method=\"CheckPrescription\",code=";
        string[] expected =
        [
            check + "\"INVALID_ARGUMENT\"} 2",
            check + "\"RESOURCE_EXHAUSTED\"} 1",
            check + "\"OK\"} 1",
            "prescribeguard_grpc_request_duration_seconds_count{service=\"prescribeguard.v1.PrescriptionGuard\",method=\"CheckPrescription\",code=\"INVALID_ARGUMENT\"} 2",
        ];

        var metrics = await MetricsText.WhenContainsAsync(Server, expected);

        Assert.All(expected, line => Assert.Contains(line, metrics, StringComparison.Ordinal));
        Assert.DoesNotContain(check + "\"UNKNOWN\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(check + "\"INTERNAL\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frame_claiming_more_bytes_than_sent_is_invalid()
    {
        var (status, message) = await Raw.SendAsync(CheckMethod, RawGrpc.Frame([0x0A, 0x01, 0x41], declaredLength: 64));

        Assert.True(status == "3", $"grpc-status {status} {message}");
    }

    [Fact]
    public async Task Expired_deadline_is_deadline_exceeded_and_decides_nothing()
    {
        var before = await LedgerRows.CountAsync(Server);
        var request = Google.Protobuf.MessageExtensions.ToByteArray(Requests.CleanCheck(Server.Time.GetUtcNow(), "too-late"));

        var (status, message) = await Raw.SendAsync(
            CheckMethod, RawGrpc.Frame(request), new Dictionary<string, string> { ["x-platform-id"] = "platform-a", ["grpc-timeout"] = "1u" });

        Assert.True(status == "4", $"grpc-status {status} {message}");
        Assert.Equal(before["decisions"], (await LedgerRows.CountAsync(Server))["decisions"]);
    }

    [Fact]
    public async Task Oversized_message_is_resource_exhausted()
    {
        var (status, _) = await Raw.SendAsync(CheckMethod, RawGrpc.Frame(new byte[512 * 1024]));

        Assert.Equal("8", status);
    }
}
