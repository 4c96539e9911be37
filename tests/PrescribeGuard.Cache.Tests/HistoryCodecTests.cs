using PrescribeGuard.Cache.Serialization;
using PrescribeGuard.Domain.History;

namespace PrescribeGuard.Cache.Tests;

public sealed class HistoryCodecTests
{
    [Fact]
    public void Round_trips_every_field_and_the_revision()
    {
        var history = Histories.Full();

        var status = HistoryCodec.TryDecode(HistoryCodec.Encode(42, history), out var revision, out var decoded);

        Assert.Equal(DecodeStatus.Ok, status);
        Assert.Equal(42, revision);
        Histories.AssertSame(history, decoded);
    }

    [Fact]
    public void Round_trips_the_empty_history()
    {
        var bytes = HistoryCodec.Encode(0, PatientHistory.Empty);

        Assert.Equal(DecodeStatus.Ok, HistoryCodec.TryDecode(bytes, out var revision, out var decoded));
        Assert.Equal(0, revision);
        Histories.AssertSame(PatientHistory.Empty, decoded);
        Assert.Equal(1 + 8 + 4 + 8, bytes.Length);
    }

    [Fact]
    public void Every_single_byte_change_or_truncation_is_corrupt_or_another_version()
    {
        var bytes = HistoryCodec.Encode(7, Histories.Full());
        for (var i = 0; i < bytes.Length; i++)
        {
            var altered = (byte[])bytes.Clone();
            altered[i] ^= 0x5A;
            var status = HistoryCodec.TryDecode(altered, out _, out var history);
            Assert.True(status != DecodeStatus.Ok, $"a change at byte {i} was not detected");
            Assert.Null(history);
        }

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(DecodeStatus.Ok, HistoryCodec.TryDecode(bytes[..length], out _, out _));
        }
    }

    [Theory]
    [InlineData((byte)0)]
    [InlineData((byte)2)]
    [InlineData((byte)255)]
    public void Another_format_version_is_reported_as_such(byte version)
    {
        var bytes = HistoryCodec.Encode(7, Histories.Full());
        bytes[0] = version;

        Assert.Equal(DecodeStatus.UnknownVersion, HistoryCodec.TryDecode(bytes, out _, out var history));
        Assert.Null(history);
    }
}
