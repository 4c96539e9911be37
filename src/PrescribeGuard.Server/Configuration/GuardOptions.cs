namespace PrescribeGuard.Server.Configuration;

/// <summary>Settings under the "Guard" section; every one can be set as Guard__Name in the environment.</summary>
public sealed class GuardOptions
{
    public const string Section = "Guard";

    /// <summary>Folder of the embedded ledger and of the generated patient-key secret.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The policy file; relative paths resolve against the application's folder.</summary>
    public string PolicyPath { get; set; } = "policy/default.json";

    /// <summary>
    /// Base64 secret (32+ bytes) keying the patient hash. Empty: generated once and kept in
    /// DataDirectory/patient-key.secret. Instances that share a ledger must share this secret.
    /// </summary>
    public string PatientKeySecret { get; set; } = string.Empty;
}
