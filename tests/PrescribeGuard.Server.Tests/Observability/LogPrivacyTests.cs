using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using PrescribeGuard.Server.Tests.Support;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>The logs of a server that ran the whole mixed workload hold no name, birth date or platform patient id.</summary>
public sealed class LogPrivacyTests
{
    [Fact]
    public async Task Logs_of_a_full_workload_carry_decisions_but_no_patient_identity()
    {
        var capture = new CapturingLoggerProvider();
        var policyDirectory = Directory.CreateTempSubdirectory("prescribeguard-policy-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                // Everything, framework included, at the most verbose level.
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                ["Logging:LogLevel:Grpc"] = "Trace",
                ["Guard:PolicyPath"] = ObservabilityWorkload.WriteShadowPolicy(policyDirectory),
                ["Observability:ReservationSweepSeconds"] = "3600",
            };
            await using (var server = await GuardServer.StartAsync(settings: settings, configure: builder =>
            {
                // The console (JSON) logger stays configured, but the test's output shows only failures.
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(capture);
            }))
            {
                Assert.Equal(ConsoleFormatterNames.Json, server.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
                await ObservabilityWorkload.RunAsync(server);
            }

            var logs = capture.Entries.ToArray();
            Assert.Contains(logs, entry => entry.Contains("outcome Deny", StringComparison.Ordinal) && entry.Contains("DUPLICATE_ACTIVE_KETAMINE", StringComparison.Ordinal));
            Assert.Contains(logs, entry => entry.Contains("DecisionId=dec_", StringComparison.Ordinal) && entry.Contains("PlatformId=platform-a", StringComparison.Ordinal));

            var leaks = (
                from patient in ObservabilityWorkload.Patients
                from secret in Secrets(patient.GivenName, patient.FamilyName, patient.BirthDate, patient.PlatformPatientId)
                from entry in logs
                where entry.Contains(secret, StringComparison.OrdinalIgnoreCase)
                select $"'{secret}' in: {entry}").ToArray();
            Assert.True(leaks.Length == 0, $"{logs.Length} log entries; {leaks.Length} leak patient identity:{Environment.NewLine}{string.Join(Environment.NewLine, leaks.Take(20))}");
        }
        finally
        {
            Directory.Delete(policyDirectory, recursive: true);
        }
    }

    private static IEnumerable<string> Secrets(string given, string family, string birthDate, string platformPatientId)
    {
        yield return given;
        yield return family;
        yield return platformPatientId;
        yield return birthDate;
        yield return "1979-02-31"; // the invalid birth date of the workload's rejected request
        var date = DateOnly.ParseExact(birthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        yield return date.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        yield return date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        yield return date.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);
    }
}
