using System.Diagnostics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http.Features;
using PrescribeGuard.Server.Observability;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// gRPC parses a request before any interceptor runs, and reports a message that is not valid
/// protobuf (truncated, garbage, invalid UTF-8) as UNKNOWN. Every handler error is already mapped
/// by <see cref="ErrorMappingInterceptor"/>, so an UNKNOWN reaching this point can only be a message
/// that could not be read: it is answered as INVALID_ARGUMENT, and UNKNOWN never leaves the service.
/// Mapping the status here rather than in a custom marshaller keeps the generated service binding.
/// Such a call never reaches <see cref="GrpcMetricsInterceptor"/> either, so it is counted here.
/// </summary>
public sealed class UnparsableMessageMiddleware(RequestDelegate next, GuardMetrics metrics)
{
    private const string UnknownStatus = "2";
    private const string InvalidArgumentStatus = "3";
    private const string InternalStatus = "13";

    private const string Message = "the request message could not be parsed as this method's protobuf message";

    public async Task InvokeAsync(HttpContext context)
    {
        var call = new Call(context, metrics);

        // A call that fails before any reply is "trailers-only": its status travels in the headers.
        context.Response.OnStarting(static state =>
        {
            ((Call)state).Remap(((Call)state).Context.Response.Headers);
            return Task.CompletedTask;
        }, call);
        await next(context);
        if (context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers)
        {
            call.Remap(trailers);
        }
    }

    /// <summary>One call: its start, and whether its unparsable message was counted (headers and trailers may both carry the status).</summary>
    private sealed class Call(HttpContext context, GuardMetrics metrics)
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private bool _counted;

        public HttpContext Context => context;

        public void Remap(IHeaderDictionary headers)
        {
            if (!UnparsableMessageMiddleware.Remap(headers) || _counted)
            {
                return;
            }

            _counted = true;

            // Only a mapped gRPC method can have failed to parse its message: the labels stay bounded.
            // Only a unary one for certain: a streaming handler's own error is UNKNOWN too (no
            // interceptor maps it), and its call is already counted as a stream.
            if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { Method.Type: Grpc.Core.MethodType.Unary } grpc)
            {
                var (service, method) = GrpcMetricsInterceptor.Split(grpc.Method.FullName);
                metrics.GrpcCall(service, method, GrpcMetricsInterceptor.CodeName(Grpc.Core.StatusCode.InvalidArgument), Stopwatch.GetElapsedTime(_started).TotalSeconds);
            }
        }
    }

    /// <summary>True when the status was that of an unparsable message, now INVALID_ARGUMENT.</summary>
    private static bool Remap(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue("grpc-status", out var status))
        {
            return false;
        }

        // The framework also calls a frame shorter than its declared length INTERNAL.
        var truncatedFrame = status == InternalStatus &&
            headers.TryGetValue("grpc-message", out var message) && message.ToString().StartsWith("Incomplete message", StringComparison.Ordinal);
        if (status == UnknownStatus || truncatedFrame)
        {
            headers["grpc-status"] = InvalidArgumentStatus;
            headers["grpc-message"] = Message;
            return true;
        }

        return false;
    }
}
