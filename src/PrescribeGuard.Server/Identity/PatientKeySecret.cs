using System.Security.Cryptography;
using PrescribeGuard.Server.Configuration;

namespace PrescribeGuard.Server.Identity;

/// <summary>
/// Finds the secret that keys patient hashes: configuration first, else a file beside the embedded
/// ledger, generated on first start so that matching survives restarts. A shared ledger needs it
/// configured: instances generating their own would key the same person differently and miss each
/// other's prescriptions.
/// </summary>
public static class PatientKeySecret
{
    public const string FileName = "patient-key.secret";

    public static byte[] Resolve(GuardOptions options, bool sharedLedger)
    {
        if (!string.IsNullOrWhiteSpace(options.PatientKeySecret))
        {
            return Decode(options.PatientKeySecret, "Guard:PatientKeySecret");
        }

        if (sharedLedger)
        {
            throw new InvalidOperationException(
                "Guard:PatientKeySecret is required with a PostgreSQL ledger: every instance sharing it must key patients with the same secret");
        }

        Directory.CreateDirectory(options.DataDirectory);
        var path = Path.Combine(options.DataDirectory, FileName);
        if (!File.Exists(path))
        {
            var secret = RandomNumberGenerator.GetBytes(32);
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                using var writer = new StreamWriter(stream);
                writer.Write(Convert.ToBase64String(secret));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance on the same folder wrote it first; use theirs.
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return Decode(File.ReadAllText(path).Trim(), path);
    }

    private static byte[] Decode(string base64, string origin)
    {
        try
        {
            var secret = Convert.FromBase64String(base64);
            return secret.Length >= 32
                ? secret
                : throw new InvalidOperationException($"the patient-key secret in {origin} must be at least 32 bytes");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"the patient-key secret in {origin} is not base64");
        }
    }
}
