using Npgsql;

namespace PrescribeGuard.Testing.Tests;

public sealed class PostgresServerTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Create_insert_select_work_on_a_fresh_database()
    {
        var connectionString = await postgres.CreateDatabaseAsync("roundtrip");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        Assert.Equal("roundtrip", await ScalarAsync<string>(connection, "SELECT current_database()"));
        Assert.Equal(0L, await ScalarAsync<long>(
            connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));

        await ExecuteAsync(connection, "CREATE TABLE prescriptions (id int PRIMARY KEY, drug text NOT NULL)");
        await ExecuteAsync(connection, "INSERT INTO prescriptions VALUES (1, 'amoxicillin'), (2, 'ibuprofen')");

        Assert.Equal(2L, await ScalarAsync<long>(connection, "SELECT count(*) FROM prescriptions"));
        Assert.Equal("ibuprofen", await ScalarAsync<string>(connection, "SELECT drug FROM prescriptions WHERE id = 2"));
        Assert.Contains("PostgreSQL 15", await ScalarAsync<string>(connection, "SELECT version()"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fresh_databases_are_isolated_from_each_other()
    {
        var first = await postgres.CreateDatabaseAsync();
        var second = await postgres.CreateDatabaseAsync();

        await using (var connection = new NpgsqlConnection(first))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE TABLE only_in_first (id int)");
        }

        await using (var connection = new NpgsqlConnection(second))
        {
            await connection.OpenAsync();
            Assert.Equal(0L, await ScalarAsync<long>(
                connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_first'"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("1starts_with_digit")]
    [InlineData("quote\"injection")]
    [InlineData("has space")]
    public async Task CreateDatabaseAsync_rejects_names_that_are_not_plain_identifiers(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => postgres.CreateDatabaseAsync(name));
    }

    [Fact]
    public async Task Stop_makes_new_connections_fail_and_start_serves_the_same_data_on_the_same_port()
    {
        var server = await PostgresServer.StartNewAsync();
        try
        {
            var port = server.Port;
            var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync("faults"))
            {
                Pooling = false,
                Timeout = 3,
            }.ConnectionString;
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await ExecuteAsync(connection, "CREATE TABLE kept (value text)");
                await ExecuteAsync(connection, "INSERT INTO kept VALUES ('survives a restart')");
            }

            await server.StopAsync();

            Assert.False(server.IsRunning);
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
            }

            await server.StartAsync();

            Assert.True(server.IsRunning);
            Assert.Equal(port, server.Port);
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                Assert.Equal("survives a restart", await ScalarAsync<string>(connection, "SELECT value FROM kept"));
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Dispose_stops_the_server_and_deletes_its_data()
    {
        var server = await PostgresServer.StartNewAsync();
        var dataDirectory = server.DataDirectory;
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString)
        {
            Pooling = false,
            Timeout = 3,
        }.ConnectionString;
        Assert.True(Directory.Exists(dataDirectory));

        await server.DisposeAsync();

        Assert.False(Directory.Exists(dataDirectory));
        await using var connection = new NpgsqlConnection(connectionString);
        await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
