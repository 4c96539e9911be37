using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using PrescribeGuard.Domain.Identity;
using Proto = PrescribeGuard.V1;

namespace PrescribeGuard.Server.Mapping;

/// <summary>
/// A hash of what a request asks, used to tell an idempotent repeat from a reused id. Names and the
/// birth date are cleared first and the patient key stands in for them, so no PHI is hashed into
/// anything stored.
/// </summary>
public static class Fingerprint
{
    public static string Of<T>(T request, Func<T, Proto.Patient?> patientOf, PatientKey patientKey)
        where T : IMessage<T>
    {
        var copy = request.Clone();
        if (patientOf(copy) is { } patient)
        {
            patient.GivenName = string.Empty;
            patient.FamilyName = string.Empty;
            patient.BirthDate = string.Empty;
        }

        var content = copy.ToByteArray();
        var key = Encoding.ASCII.GetBytes(patientKey.Value);
        var buffer = new byte[key.Length + content.Length];
        key.CopyTo(buffer, 0);
        content.CopyTo(buffer, key.Length);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }
}
