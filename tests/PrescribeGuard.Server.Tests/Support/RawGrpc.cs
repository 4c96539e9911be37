using System.Net;
using System.Net.Http.Headers;

namespace PrescribeGuard.Server.Tests.Support;

/// <summary>
/// Sends hand-made gRPC frames over a real HTTP/2 connection, for bytes no generated client would
/// send, and reads the grpc-status the server answered with.
/// </summary>
public sealed class RawGrpc(Uri address) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address };

    public static byte[] Frame(byte[] payload, int? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        var frame = new byte[5 + payload.Length];
        frame[1] = (byte)(length >> 24);
        frame[2] = (byte)(length >> 16);
        frame[3] = (byte)(length >> 8);
        frame[4] = (byte)length;
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Returns "status message" of the reply, from the trailers or, for trailers-only replies, the headers.</summary>
    public async Task<(string Status, string Message)> SendAsync(string method, byte[] frame, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        foreach (var (name, value) in headers ?? new Dictionary<string, string> { ["x-platform-id"] = "platform-a" })
        {
            request.Headers.Add(name, value);
        }

        using var response = await _http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return (Read(response, "grpc-status") ?? $"none (HTTP {(int)response.StatusCode})", Read(response, "grpc-message") ?? string.Empty);
    }

    private static string? Read(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.Single()
        : response.Headers.TryGetValues(name, out var header) ? header.Single()
        : null;

    public void Dispose() => _http.Dispose();
}
