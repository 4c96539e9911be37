using System.Buffers.Binary;
using System.Text;
using PrescribeGuard.Domain.History;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Cache.Serialization;

/// <summary>What reading a cached value found.</summary>
public enum DecodeStatus
{
    Ok,

    /// <summary>Written by another version of the format: a miss, to be replaced.</summary>
    UnknownVersion,

    /// <summary>Truncated, altered or not ours: a miss, to be replaced.</summary>
    Corrupt,
}

/// <summary>
/// A compact binary form of a patient history with its ledger revision:
/// <c>[format version: 1 byte][revision: int64][history][FNV-1a 64 of everything before: 8 bytes]</c>.
/// Strings are length-prefixed UTF-8, numbers little-endian, times as ticks and offset minutes,
/// enums one byte each, absent values a 0 flag. A value that fails the checksum or any check while
/// reading is reported as <see cref="DecodeStatus.Corrupt"/>, never thrown.
/// </summary>
public static class HistoryCodec
{
    /// <summary>Change this (and the key prefix's schema version) with any change to the layout.</summary>
    public const byte FormatVersion = 1;

    private const int ChecksumBytes = sizeof(ulong);
    private const int HeaderBytes = 1 + sizeof(long);

    public static byte[] Encode(long revision, PatientHistory history)
    {
        using var stream = new MemoryStream(256);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(revision);
            WriteList(writer, history.Prescriptions, WritePrescription);
            WriteList(writer, history.Dispenses, WriteDispense);
            WriteList(writer, history.Encounters, WriteEncounter);
            WriteList(writer, history.Reservations, WriteReservation);
        }

        var length = (int)stream.Length;
        stream.SetLength(length + ChecksumBytes);
        var buffer = stream.GetBuffer();
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(length, ChecksumBytes), Fnv1a64(buffer.AsSpan(0, length)));
        return buffer.AsSpan(0, length + ChecksumBytes).ToArray();
    }

    public static DecodeStatus TryDecode(byte[] value, out long revision, out PatientHistory? history)
    {
        revision = 0;
        history = null;
        if (value.Length == 0)
        {
            return DecodeStatus.Corrupt;
        }

        if (value[0] != FormatVersion)
        {
            return DecodeStatus.UnknownVersion;
        }

        var bodyLength = value.Length - ChecksumBytes;
        if (bodyLength < HeaderBytes ||
            BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(bodyLength)) != Fnv1a64(value.AsSpan(0, bodyLength)))
        {
            return DecodeStatus.Corrupt;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(value, 0, bodyLength, writable: false), Encoding.UTF8);
            reader.ReadByte();
            var storedRevision = reader.ReadInt64();
            var decoded = new PatientHistory(
                ReadList(reader, ReadPrescription),
                ReadList(reader, ReadDispense),
                ReadList(reader, ReadEncounter),
                ReadList(reader, ReadReservation));
            if (reader.BaseStream.Position != bodyLength)
            {
                return DecodeStatus.Corrupt;
            }

            revision = storedRevision;
            history = decoded;
            return DecodeStatus.Ok;
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or FormatException or ArgumentException or InvalidDataException)
        {
            return DecodeStatus.Corrupt;
        }
    }

    private static void WriteList<T>(BinaryWriter writer, IReadOnlyList<T> items, Action<BinaryWriter, T> write)
    {
        writer.Write7BitEncodedInt(items.Count);
        foreach (var item in items)
        {
            write(writer, item);
        }
    }

    private static T[] ReadList<T>(BinaryReader reader, Func<BinaryReader, T> read)
    {
        var count = reader.Read7BitEncodedInt();
        // Every item takes at least one byte: a larger count is corrupt, not a reason to allocate.
        if (count < 0 || count > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException("list length out of range");
        }

        var items = new T[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = read(reader);
        }

        return items;
    }

    private static void WritePrescription(BinaryWriter writer, PrescriptionEntry entry)
    {
        writer.Write(entry.PlatformId);
        writer.Write(entry.PrescriptionId);
        writer.Write(entry.PrescriberNpi);
        WriteMedication(writer, entry.Medication);
        WriteTime(writer, entry.IssuedAt);
        writer.Write(entry.Imported);
    }

    private static PrescriptionEntry ReadPrescription(BinaryReader reader) => new(
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        ReadMedication(reader),
        ReadTime(reader),
        reader.ReadBoolean());

    private static void WriteDispense(BinaryWriter writer, DispenseEntry entry)
    {
        writer.Write(entry.PlatformId);
        writer.Write(entry.DispenseId);
        writer.Write(entry.PrescriptionId);
        writer.Write(entry.PharmacyId);
        WriteTime(writer, entry.DispensedAt);
        writer.Write(entry.FillNumber);
        writer.Write(entry.TotalMg);
        writer.Write(entry.DaysSupply);
    }

    private static DispenseEntry ReadDispense(BinaryReader reader) => new(
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        ReadTime(reader),
        reader.ReadInt32(),
        reader.ReadDouble(),
        reader.ReadInt32());

    private static void WriteEncounter(BinaryWriter writer, EncounterEntry entry)
    {
        writer.Write(entry.PlatformId);
        writer.Write(entry.EncounterId);
        writer.Write(entry.ClinicianNpi);
        WriteEnum(writer, entry.Kind);
        WriteTime(writer, entry.OccurredAt);
        writer.Write(entry.LocationState);
        writer.Write(entry.MonitoringMinutes);
        writer.Write(entry.BloodPressure is not null);
        if (entry.BloodPressure is { } pressure)
        {
            writer.Write(pressure.Systolic);
            writer.Write(pressure.Diastolic);
            WriteTime(writer, pressure.MeasuredAt);
        }

        writer.Write(entry.Medication is not null);
        if (entry.Medication is { } medication)
        {
            WriteMedication(writer, medication);
        }
    }

    private static EncounterEntry ReadEncounter(BinaryReader reader) => new(
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        ReadEnum<EncounterKind>(reader),
        ReadTime(reader),
        reader.ReadString(),
        reader.ReadInt32(),
        reader.ReadBoolean() ? new BloodPressure(reader.ReadInt32(), reader.ReadInt32(), ReadTime(reader)) : null,
        reader.ReadBoolean() ? ReadMedication(reader) : null);

    private static void WriteReservation(BinaryWriter writer, ReservationEntry entry)
    {
        writer.Write(entry.PlatformId);
        writer.Write(entry.DecisionId);
        writer.Write(entry.PrescriberNpi);
        WriteMedication(writer, entry.Medication);
        WriteTime(writer, entry.CreatedAt);
        WriteTime(writer, entry.ExpiresAt);
    }

    private static ReservationEntry ReadReservation(BinaryReader reader) => new(
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        ReadMedication(reader),
        ReadTime(reader),
        ReadTime(reader));

    private static void WriteMedication(BinaryWriter writer, Medication medication)
    {
        WriteEnum(writer, medication.DrugClass);
        writer.Write(medication.Compounded);
        WriteEnum(writer, medication.Route);
        WriteEnum(writer, medication.Setting);
        writer.Write(medication.DoseMg);
        writer.Write(medication.TotalMg);
        writer.Write(medication.DaysSupply);
        writer.Write(medication.RefillsAuthorized);
    }

    private static Medication ReadMedication(BinaryReader reader) => new(
        ReadEnum<DrugClass>(reader),
        reader.ReadBoolean(),
        ReadEnum<Route>(reader),
        ReadEnum<AdministrationSetting>(reader),
        reader.ReadDouble(),
        reader.ReadDouble(),
        reader.ReadInt32(),
        reader.ReadInt32());

    private static void WriteTime(BinaryWriter writer, DateTimeOffset time)
    {
        writer.Write(time.Ticks);
        writer.Write((short)time.Offset.TotalMinutes);
    }

    private static DateTimeOffset ReadTime(BinaryReader reader)
    {
        var ticks = reader.ReadInt64();
        var offsetMinutes = reader.ReadInt16();
        return new DateTimeOffset(ticks, TimeSpan.FromMinutes(offsetMinutes));
    }

    private static void WriteEnum<T>(BinaryWriter writer, T value)
        where T : struct, Enum => writer.Write(checked((byte)Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)));

    private static T ReadEnum<T>(BinaryReader reader)
        where T : struct, Enum
    {
        var value = (T)Enum.ToObject(typeof(T), reader.ReadByte());
        return Enum.IsDefined(value) ? value : throw new InvalidDataException($"{typeof(T).Name} value out of range");
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
