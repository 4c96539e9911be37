using System.Buffers;
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
    /// <summary>
    /// SHA-256 (lower-case hex) of the patient key's ASCII followed by the request serialised with
    /// the patient's names and birth date cleared. Only the patient sub-message is copied (swapped in
    /// for the serialisation and swapped back), not the whole request; the bytes hashed are the same
    /// as serialising a cleared clone, so fingerprints stored by earlier versions still match.
    /// </summary>
    public static string Of<T>(T request, Func<T, Proto.Patient?> patientOf, PatientKey patientKey)
        where T : IMessage<T>
    {
        var patient = patientOf(request);
        if (patient is null)
        {
            return Hash(request, patientKey);
        }

        var cleared = patient.Clone();
        cleared.GivenName = string.Empty;
        cleared.FamilyName = string.Empty;
        cleared.BirthDate = string.Empty;
        var accessor = PatientField<T>.Accessor(request);
        accessor.SetValue(request, cleared);
        try
        {
            return Hash(request, patientKey);
        }
        finally
        {
            accessor.SetValue(request, patient);
        }
    }

    /// <summary>The accessor of T's (single) Patient field, looked up once per message type.</summary>
    private static class PatientField<T>
        where T : IMessage<T>
    {
        private static Google.Protobuf.Reflection.IFieldAccessor? _accessor;

        public static Google.Protobuf.Reflection.IFieldAccessor Accessor(T request) =>
            _accessor ??= request.Descriptor.Fields.InDeclarationOrder().Single(f => f.FieldType == Google.Protobuf.Reflection.FieldType.Message && f.MessageType == Proto.Patient.Descriptor).Accessor;
    }

    private static string Hash(IMessage request, PatientKey patientKey)
    {
        var keyLength = Encoding.ASCII.GetByteCount(patientKey.Value);
        var size = keyLength + request.CalculateSize();
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Encoding.ASCII.GetBytes(patientKey.Value, buffer);
            request.WriteTo(buffer.AsSpan(keyLength, size - keyLength));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, size), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
