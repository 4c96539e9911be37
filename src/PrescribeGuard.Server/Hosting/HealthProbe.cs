using Grpc.Health.V1;
using Grpc.Net.Client;

namespace PrescribeGuard.Server.Hosting;

/// <summary>
/// `PrescribeGuard.Server --health-probe URL` asks a running guard's gRPC health service and exits
/// 0 when it is SERVING, so a container health check needs no extra tools in the image.
/// </summary>
public static class HealthProbe
{
    public const string Flag = "--health-probe";

    public static async Task<int> RunAsync(string address)
    {
        try
        {
            using var channel = GrpcChannel.ForAddress(address);
            var client = new Grpc.Health.V1.Health.HealthClient(channel);
            var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
            Console.WriteLine(reply.Status);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (Grpc.Core.RpcException ex)
        {
            Console.Error.WriteLine($"health probe failed: {ex.Status.StatusCode} {ex.Status.Detail}");
            return 1;
        }
    }
}
