using System.Security.Cryptography;
using System.Text;

namespace PrescribeGuard.Domain.Identity;

/// <summary>
/// The guard's cross-platform identity of a person: HMAC-SHA256 under a server secret of the
/// normalised family name, given name and birth date. Names and birth dates never leave this
/// derivation; only the key is stored.
/// </summary>
public readonly record struct PatientKey(string Value)
{
    public override string ToString() => Value;
}

public sealed class PatientKeyDeriver
{
    private readonly byte[] _secret;

    public PatientKeyDeriver(byte[] secret)
    {
        if (secret.Length < 32)
        {
            throw new ArgumentException("the patient-key secret must be at least 32 bytes", nameof(secret));
        }

        _secret = (byte[])secret.Clone();
        Verifier = Convert.ToHexStringLower(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(VerifierText)));
    }

    // The folding's version is part of it: a ledger keyed by another folding keeps its verifier, so an
    // instance that would key its patients otherwise is refused at start instead of missing their histories.
    private static string VerifierText => $"PrescribeGuard patient-key verifier v1, names folded v{NameNormalizer.Version}";

    /// <summary>
    /// Tells secrets (and name foldings) apart without revealing them: two derivers key patients alike
    /// only if their verifiers are equal.
    /// </summary>
    public string Verifier { get; }

    public PatientKey Derive(string familyName, string givenName, DateOnly birthDate)
    {
        var material = string.Join(
            '|',
            NameNormalizer.Normalize(familyName),
            NameNormalizer.Normalize(givenName),
            birthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var mac = HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(material));
        return new PatientKey(Convert.ToHexStringLower(mac));
    }
}
