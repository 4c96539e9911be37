using Microsoft.AspNetCore.Http.Features;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// gRPC parses a request before any interceptor runs, and reports a message that is not valid
/// protobuf (truncated, garbage, invalid UTF-8) as UNKNOWN. Every handler error, unary or streaming,
/// is already mapped by <see cref="ErrorMappingInterceptor"/>, so an UNKNOWN reaching this point can
/// only be a message that could not be read: it is answered as INVALID_ARGUMENT, and UNKNOWN never
/// leaves the service.
/// Mapping the status here rather than in a custom marshaller keeps the generated service binding.
/// <see cref="UncountedCallMetricsMiddleware"/> counts such calls, with the status mapped here.
/// </summary>
public sealed class UnparsableMessageMiddleware(RequestDelegate next)
{
    private const string UnknownStatus = "2";
    private const string InvalidArgumentStatus = "3";
    private const string InternalStatus = "13";

    /// <summary>What a caller whose request message could not be parsed is told.</summary>
    public const string Message = "the request message could not be parsed as this method's protobuf message";

    public async Task InvokeAsync(HttpContext context)
    {
        // A call that fails before any reply is "trailers-only": its status travels in the headers.
        context.Response.OnStarting(() =>
        {
            Remap(context.Response.Headers);
            return Task.CompletedTask;
        });
        await next(context);
        if (context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers)
        {
            Remap(trailers);
        }
    }

    private static void Remap(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue("grpc-status", out var status))
        {
            return;
        }

        // The framework also calls a frame shorter than its declared length, and a second message in a
        // unary call, INTERNAL: both are the caller's bytes, not the service's failure.
        var malformedFrames = status == InternalStatus && headers.TryGetValue("grpc-message", out var message) &&
            (message.ToString().StartsWith("Incomplete message", StringComparison.Ordinal) ||
             message.ToString().StartsWith("Additional data after the message received", StringComparison.Ordinal));
        if (status == UnknownStatus || malformedFrames)
        {
            headers["grpc-status"] = InvalidArgumentStatus;
            headers["grpc-message"] = Message;
        }
    }
}
