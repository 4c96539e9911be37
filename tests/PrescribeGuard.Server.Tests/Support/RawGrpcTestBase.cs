namespace PrescribeGuard.Server.Tests.Support;

/// <summary>A guard server per test with a client for hand-made gRPC frames.</summary>
public abstract class RawGrpcTestBase : IAsyncLifetime
{
    protected GuardServer Server { get; private set; } = null!;

    protected RawGrpc Raw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await GuardServer.StartAsync();
        Raw = new RawGrpc(Server.Address);
    }

    public async Task DisposeAsync()
    {
        Raw.Dispose();
        await Server.DisposeAsync();
    }
}
