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
