using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Server.Mapping;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

public sealed class FingerprintTests
{
    private static readonly PatientKey Key = new("5f2c0c7e9a6b4d0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a");

    [Fact]
    public void Is_the_hash_of_a_clone_with_the_names_cleared_and_leaves_the_request_as_it_was()
    {
        var request = Requests.CleanCheck(DateTimeOffset.UtcNow);
        var before = request.Clone();

        var fingerprint = Fingerprint.Of(request, r => r.Patient, Key);

        Assert.Equal(ClearedCloneHash(request, r => r.Patient), fingerprint);
        Assert.Equal(before, request);
        Assert.Equal(fingerprint, Fingerprint.Of(request, r => r.Patient, Key));
    }

    [Fact]
    public void Does_not_depend_on_names_or_birth_date_but_on_everything_else()
    {
        var request = Requests.CleanCheck(DateTimeOffset.UtcNow);
        var renamed = request.Clone();
        renamed.Patient.GivenName = "Someone";
        renamed.Patient.FamilyName = "Else";
        renamed.Patient.BirthDate = "1970-01-01";
        var otherDose = request.Clone();
        otherDose.Medication.DoseMg += 1;

        Assert.Equal(Fingerprint.Of(request, r => r.Patient, Key), Fingerprint.Of(renamed, r => r.Patient, Key));
        Assert.NotEqual(Fingerprint.Of(request, r => r.Patient, Key), Fingerprint.Of(otherDose, r => r.Patient, Key));
    }

    [Fact]
    public void A_request_without_a_patient_hashes_as_it_is()
    {
        var request = new RecordDispenseRequest { DispenseId = "fill-1" };

        Assert.Equal(ClearedCloneHash(request, r => r.Patient), Fingerprint.Of(request, r => r.Patient, Key));
    }

    // The original definition: kept fingerprints of earlier versions must still match.
    private static string ClearedCloneHash<T>(T request, Func<T, Patient?> patientOf)
        where T : IMessage<T>
    {
        var copy = request.Clone();
        if (patientOf(copy) is { } patient)
        {
            patient.GivenName = string.Empty;
            patient.FamilyName = string.Empty;
            patient.BirthDate = string.Empty;
        }

        return Convert.ToHexStringLower(SHA256.HashData([.. Encoding.ASCII.GetBytes(Key.Value), .. copy.ToByteArray()]));
    }
}
