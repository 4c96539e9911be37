using System.Diagnostics;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using PrescribeGuard.Server.Observability;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// Counts, with the status the caller received, every unary gRPC call that ended before
/// <see cref="GrpcMetricsInterceptor"/> saw it: refused by authentication or the rate limiter, a
/// request message that could not be parsed or was too large, a second message in a unary call.
/// So each unary call is counted exactly once, whoever answered it.
/// </summary>
public sealed class UncountedCallMetricsMiddleware(RequestDelegate next, GuardMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // The endpoint is chosen before any middleware of the app runs; labels come only from mapped methods.
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { Method.Type: MethodType.Unary } grpc)
        {
            await next(context);
            return;
        }

        var call = new CountedCall();
        context.Features.Set(call);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (!call.Counted)
            {
                // A reply that has not started is trailers-only: its headers (and the status in them,
                // which UnparsableMessageMiddleware may still map) are final once it is sent.
                if (context.Response.HasStarted)
                {
                    Count(context, grpc, started);
                }
                else
                {
                    context.Response.OnCompleted(() =>
                    {
                        Count(context, grpc, started);
                        return Task.CompletedTask;
                    });
                }
            }
        }
    }

    private void Count(HttpContext context, GrpcMethodMetadata grpc, long started)
    {
        var (service, method) = GrpcMetricsInterceptor.Split(grpc.Method.FullName);
        metrics.GrpcCall(service, method, StatusOf(context), Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The status in the trailers, or in the headers of a trailers-only reply, or what a client makes of the HTTP status.</summary>
    private static string StatusOf(HttpContext context)
    {
        var status = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers && trailers.TryGetValue("grpc-status", out var inTrailers)
            ? inTrailers.ToString()
            : context.Response.Headers.TryGetValue("grpc-status", out var inHeaders) ? inHeaders.ToString() : null;
        if (int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return GrpcMetricsInterceptor.CodeName((StatusCode)code);
        }

        // As gRPC clients map an HTTP reply without a gRPC status.
        return GrpcMetricsInterceptor.CodeName(context.Response.StatusCode switch
        {
            StatusCodes.Status400BadRequest => StatusCode.Internal,
            StatusCodes.Status401Unauthorized => StatusCode.Unauthenticated,
            StatusCodes.Status403Forbidden => StatusCode.PermissionDenied,
            StatusCodes.Status404NotFound => StatusCode.Unimplemented,
            StatusCodes.Status429TooManyRequests or StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        });
    }
}

/// <summary>Marks a unary call as counted by <see cref="GrpcMetricsInterceptor"/>, so <see cref="UncountedCallMetricsMiddleware"/> does not count it again.</summary>
public sealed class CountedCall
{
    public bool Counted { get; set; }
}
