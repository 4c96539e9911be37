using System.Net;
using System.Net.Sockets;

namespace PrescribeGuard.Testing.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void Next_returns_a_loopback_port_that_can_be_bound()
    {
        var port = FreePort.Next();

        Assert.InRange(port, 1024, IPEndPoint.MaxPort);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndPoint!).Port);
    }
}
