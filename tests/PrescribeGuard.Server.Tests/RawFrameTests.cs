using System.Net;
using System.Net.Http.Headers;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// Bytes no well-behaved client would send, in real gRPC frames over HTTP/2: each gets a deliberate
/// status, never UNKNOWN or INTERNAL, and the server keeps answering.
/// </summary>
public sealed class RawFrameTests : IAsyncLifetime
{
    private GuardServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await GuardServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.Address };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

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

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task Malformed_frames_get_a_deliberate_status(string kind, byte[] payload)
    {
        var status = await SendFrameAsync(Frame(payload));

        Assert.True(status is "3" or "16", $"{kind}: grpc-status {status}");
        var healthy = await _server.Client().CheckPrescriptionAsync(Requests.CleanCheck(_server.Time.GetUtcNow(), "after-" + kind.Replace(' ', '-')));
        Assert.Equal(Outcome.Allow, healthy.Outcome);
    }

    [Fact]
    public async Task Frame_claiming_more_bytes_than_sent_is_refused()
    {
        var frame = Frame([0x0A, 0x01, 0x41]);
        frame[4] = 0x40; // claims 64 bytes, carries 3
        var status = await SendFrameAsync(frame);
        Assert.True(status is "3", $"grpc-status {status} {LastMessage}");
    }

    [Fact]
    public async Task Oversized_message_is_resource_exhausted()
    {
        var status = await SendFrameAsync(Frame(new byte[512 * 1024]));
        Assert.Equal("8", status);
    }

    private string LastMessage { get; set; } = string.Empty;

    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[1] = (byte)(payload.Length >> 24);
        frame[2] = (byte)(payload.Length >> 16);
        frame[3] = (byte)(payload.Length >> 8);
        frame[4] = (byte)payload.Length;
        payload.CopyTo(frame, 5);
        return frame;
    }

    private async Task<string> SendFrameAsync(byte[] frame)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/prescribeguard.v1.PrescriptionGuard/CheckPrescription")
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.Add("x-platform-id", "platform-a");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        using var response = await _http.SendAsync(request);
        LastMessage = response.Headers.TryGetValues("grpc-message", out var hm) ? hm.Single() : response.TrailingHeaders.TryGetValues("grpc-message", out var tm) ? tm.Single() : string.Empty;
        await response.Content.ReadAsByteArrayAsync();
        if (response.TrailingHeaders.TryGetValues("grpc-status", out var trailer))
        {
            return trailer.Single();
        }

        return response.Headers.TryGetValues("grpc-status", out var header)
            ? header.Single()
            : $"missing (HTTP {(int)response.StatusCode} {response.Version}; {response.Headers}; {response.Content.Headers})";
    }
}
