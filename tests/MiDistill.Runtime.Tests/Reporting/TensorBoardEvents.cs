using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MiDistill.Runtime.Tests.Reporting;

/// <summary>
/// A reader of TensorBoard event files written from the specifications alone, independent of the
/// writer: TFRecord framing (uint64 length, masked CRC-32C of the length, payload, masked CRC-32C of
/// the payload) and the few protobuf fields of tensorflow.Event and Summary.Value a scalar uses.
/// </summary>
internal static class TensorBoardEvents
{
    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<(string Tag, float Value)> Scalars);

    public static List<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw new InvalidDataException($"{path}: {bytes.Length - at} trailing bytes at {at}, less than a record header");
            ulong length = BitConverter.ToUInt64(bytes, at);
            uint lengthCrc = BitConverter.ToUInt32(bytes, at + 8);
            if (lengthCrc != MaskedCrc32C(bytes.AsSpan(at, 8)))
                throw new InvalidDataException($"{path}: record at byte {at}: the length's masked CRC-32C does not match");
            int payload = at + 12;
            if ((ulong)(bytes.Length - payload) < length + 4) throw new InvalidDataException($"{path}: record at byte {at} is cut short");
            var data = bytes.AsSpan(payload, (int)length);
            uint dataCrc = BitConverter.ToUInt32(bytes, payload + (int)length);
            if (dataCrc != MaskedCrc32C(data))
                throw new InvalidDataException($"{path}: record at byte {at}: the payload's masked CRC-32C does not match");
            events.Add(ParseEvent(data.ToArray()));
            at = payload + (int)length + 4;
        }
        return events;
    }

    // tensorflow.Event: 1 wall_time (double), 2 step (int64), 3 file_version (string), 5 summary (Summary).
    private static Event ParseEvent(byte[] data)
    {
        double wallTime = 0; long step = 0; string? version = null;
        var scalars = new List<(string, float)>();
        foreach (var (field, wire, value, bytes) in Fields(data))
        {
            if (field == 1 && wire == 1) wallTime = BitConverter.Int64BitsToDouble((long)value);
            else if (field == 2 && wire == 0) step = (long)value;
            else if (field == 3 && wire == 2) version = Encoding.UTF8.GetString(bytes!);
            else if (field == 5 && wire == 2)
                foreach (var (f, w, _, summaryValue) in Fields(bytes!))
                    if (f == 1 && w == 2) scalars.Add(ParseValue(summaryValue!));
        }
        return new Event(wallTime, step, version, scalars);
    }

    // Summary.Value: 1 tag (string), 2 simple_value (float).
    private static (string, float) ParseValue(byte[] data)
    {
        string tag = ""; float? simple = null;
        foreach (var (field, wire, value, bytes) in Fields(data))
        {
            if (field == 1 && wire == 2) tag = Encoding.UTF8.GetString(bytes!);
            else if (field == 2 && wire == 5) simple = BitConverter.Int32BitsToSingle((int)(uint)value);
        }
        return (tag, simple ?? throw new InvalidDataException($"summary value `{tag}` is not a simple_value scalar"));
    }

    private static IEnumerable<(int Field, int Wire, ulong Value, byte[]? Bytes)> Fields(byte[] data)
    {
        int at = 0;
        while (at < data.Length)
        {
            ulong key = Varint(data, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, Varint(data, ref at), null); break;
                case 1: yield return (field, wire, BitConverter.ToUInt64(data, at), null); at += 8; break;
                case 5: yield return (field, wire, BitConverter.ToUInt32(data, at), null); at += 4; break;
                case 2:
                    int length = (int)Varint(data, ref at);
                    yield return (field, wire, 0, data.AsSpan(at, length).ToArray());
                    at += length;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {wire} of field {field} is not expected in an event");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    /// <summary>TFRecord's mask over CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xffffffffu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
        return ~crc;
    }
}
