using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace PrescribeGuard.Testing.Tests;

public sealed class RedisServerTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Set_then_get_round_trips_through_StackExchange_Redis()
    {
        await using var connection = await ConnectAsync(redis);
        var database = connection.GetDatabase();

        Assert.True(await database.StringSetAsync("pg:test:greeting", "hello"));
        Assert.Equal("hello", (string?)await database.StringGetAsync("pg:test:greeting"));
        Assert.Equal($"127.0.0.1:{redis.Port}", redis.ConnectionString);
        Assert.True(redis.IsRunning);
    }

    [Fact]
    public async Task Kill_makes_commands_fail_and_restart_serves_again_on_the_same_port()
    {
        var server = await RedisServer.StartNewAsync();
        try
        {
            var port = server.Port;
            await using var connection = await ConnectAsync(server);
            var database = connection.GetDatabase();
            Assert.True(await database.StringSetAsync("pg:test:before-kill", "1"));

            await server.KillAsync();

            Assert.False(server.IsRunning);
            Assert.Throws<SocketException>(() => ConnectRaw(port));
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => database.StringGetAsync("pg:test:before-kill"));
            Assert.True(
                failure is RedisConnectionException or RedisTimeoutException,
                $"Expected a connection failure or a timeout, got {failure.GetType()}: {failure.Message}");

            await server.RestartAsync();

            Assert.True(server.IsRunning);
            Assert.Equal(port, server.Port);
            var afterRestart = await EventuallyAsync(() => database.StringGetAsync("pg:test:before-kill"));
            Assert.True(afterRestart.IsNull, "A restarted server keeps nothing: it has no persistence.");
            Assert.True(await database.StringSetAsync("pg:test:after-restart", "2"));
            Assert.Equal("2", (string?)await database.StringGetAsync("pg:test:after-restart"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(server.IsRunning);
    }

    [Fact]
    public async Task Dispose_stops_the_server_and_frees_the_port()
    {
        var server = await RedisServer.StartNewAsync();
        var port = server.Port;
        ConnectRaw(port).Dispose();

        await server.DisposeAsync();

        Assert.Throws<SocketException>(() => ConnectRaw(port));
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(RedisServer server) =>
        ConnectionMultiplexer.ConnectAsync(
            $"{server.ConnectionString},abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000,connectRetry=1");

    private static Socket ConnectRaw(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // The multiplexer reconnects in the background: retry until it has, within a bound.
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> action)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException
                && stopwatch.Elapsed < RecoveryTimeout)
            {
                await Task.Delay(100);
            }
        }
    }
}
