using System.Net;
using System.Net.Sockets;

namespace PrescribeGuard.Testing;

/// <summary>Finds a loopback TCP port that is free right now.</summary>
public static class FreePort
{
    /// <summary>Binds 127.0.0.1:0, reads the port the kernel chose, and releases it.</summary>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
