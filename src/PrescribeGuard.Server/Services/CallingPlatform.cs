using Grpc.Core;

namespace PrescribeGuard.Server.Services;

/// <summary>
/// Names the platform calling. Until authentication lands it is the x-platform-id header; every
/// record id and request id is scoped to it.
/// </summary>
public static class CallingPlatform
{
    public const string Header = "x-platform-id";

    public static string From(ServerCallContext context)
    {
        var value = context.RequestHeaders.GetValue(Header);
        if (string.IsNullOrEmpty(value))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the {Header} header is required"));
        }

        if (value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the {Header} header must be 1-64 letters, digits, '-', '_' or '.'"));
        }

        return value;
    }
}
