using System.Security.Cryptography;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// A guard whose patient-key secret is not the one its ledger was keyed with would find no
/// patient's history and allow what it must deny: it must not start, and neither may one whose
/// secret cannot be used at all.
/// </summary>
public sealed class PatientKeySecretStartupTests
{
    [Fact]
    public async Task A_guard_refuses_to_start_on_a_ledger_keyed_with_another_secret()
    {
        var data = Directory.CreateTempSubdirectory("prescribeguard-secret-").FullName;
        try
        {
            var (first, other) = (NewSecret(), NewSecret());
            DateTimeOffset now;
            await using (var keyed = await GuardServer.StartAsync(data, WithSecret(first)))
            {
                now = keyed.Time.GetUtcNow();
                var decision = await keyed.Client().CheckPrescriptionAsync(Requests.CleanCheck(now));
                await keyed.Client().RecordPrescriptionAsync(Requests.RecordFor(Requests.CleanCheck(now), decision, "rx-1", now));
            }

            var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => GuardServer.StartAsync(data, WithSecret(other)));
            await using var again = await GuardServer.StartAsync(data, WithSecret(first));
            var elsewhere = await again.Client("platform-b").CheckPrescriptionAsync(Requests.CleanCheck(now, "b-1"));

            Assert.Contains("patient-key secret is not the one this ledger", refused.Message, StringComparison.Ordinal);
            Assert.Equal(Outcome.Deny, elsewhere.Outcome);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_guard_refuses_to_start_on_a_ledger_keyed_by_an_earlier_name_folding()
    {
        var data = Directory.CreateTempSubdirectory("prescribeguard-folding-").FullName;
        try
        {
            var secret = NewSecret();
            await using (var keyed = await GuardServer.StartAsync(data, WithSecret(secret)))
            {
                await keyed.Client().CheckPrescriptionAsync(Requests.CleanCheck(keyed.Time.GetUtcNow()));
            }

            // What a guard of the first folding (names folded v1) left in the ledger it claimed.
            var firstFolding = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromBase64String(secret), "PrescribeGuard patient-key verifier v1"u8));
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "prescribeguard.db")};Pooling=False"))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "UPDATE ledger_identity SET value = $value WHERE name = 'patient_key_verifier'";
                command.Parameters.AddWithValue("$value", firstFolding);
                Assert.Equal(1, await command.ExecuteNonQueryAsync());
            }

            var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => GuardServer.StartAsync(data, WithSecret(secret)));

            Assert.Contains("folded names differently", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("dG9vc2hvcnQ=", "at least 32 bytes")] // "tooshort"
    [InlineData("not base64!", "not base64")]
    public async Task A_secret_that_cannot_key_patients_stops_start_up(string secret, string reason)
    {
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(
            () => GuardServer.StartAsync(settings: new Dictionary<string, string?> { ["Guard:PatientKeySecret"] = secret }));

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static Dictionary<string, string?> WithSecret(string secret) => new() { ["Guard:PatientKeySecret"] = secret };
}
