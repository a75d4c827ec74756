using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>
/// A safetensors reader written from the format's specification (huggingface/safetensors, "Format"),
/// sharing no code with MiDistill's: 8 bytes of header length N (unsigned, little-endian), N bytes of
/// UTF-8 JSON beginning with '{' and possibly padded with spaces, mapping each tensor name to
/// {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte buffer) plus an optional
/// "__metadata__" map of strings, then the byte buffer, which the tensors must index entirely
/// without holes or overlaps. Every rule it checks fails with a message naming the file.
/// </summary>
internal sealed class SafetensorsSpec
{
    /// <summary>Bytes per element of the spec's dtypes.</summary>
    private static readonly Dictionary<string, int> DTypeSizes = new()
    {
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["F8_E5M2"] = 1,
        ["F8_E4M3"] = 1,
        ["I16"] = 2,
        ["U16"] = 2,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I32"] = 4,
        ["U32"] = 4,
        ["F32"] = 4,
        ["I64"] = 8,
        ["U64"] = 8,
        ["F64"] = 8,
    };

    public sealed record Tensor(string Name, string DType, long[] Shape, long Begin, long End);

    public required string Path { get; init; }
    public required long HeaderLength { get; init; }
    /// <summary>The tensors in header order.</summary>
    public required IReadOnlyList<Tensor> Tensors { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required byte[] Buffer { get; init; }

    public static SafetensorsSpec Read(string path)
    {
        var file = File.ReadAllBytes(path);
        string where = $"{path}: ";
        if (file.Length < 8) throw new InvalidDataException(where + $"{file.Length} bytes, no room for the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(0, 8));
        if (n > (ulong)(file.Length - 8)) throw new InvalidDataException(where + $"header length {n} exceeds the {file.Length - 8} bytes after it");
        var header = file.AsSpan(8, (int)n);
        if (header.Length == 0 || header[0] != (byte)'{') throw new InvalidDataException(where + "the header does not begin with '{'");
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header); }
        catch (DecoderFallbackException e) { throw new InvalidDataException(where + "the header is not UTF-8: " + e.Message); }
        // Trailing padding must be spaces; the JSON text ends at the last '}'.
        int end = text.LastIndexOf('}');
        if (text[(end + 1)..].Any(c => c != ' ')) throw new InvalidDataException(where + "the header is padded with something other than spaces");

        var buffer = file[(8 + (int)n)..];
        var tensors = new List<Tensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException(where + "the header is not a JSON object");
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (!names.Add(p.Name)) throw new InvalidDataException(where + $"key '{p.Name}' appears twice in the header");
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                        : throw new InvalidDataException(where + $"__metadata__ value '{m.Name}' is not a string");
                continue;
            }
            var keys = p.Value.EnumerateObject().Select(x => x.Name).Order(StringComparer.Ordinal).ToArray();
            if (!keys.SequenceEqual(new[] { "data_offsets", "dtype", "shape" }))
                throw new InvalidDataException(where + $"tensor '{p.Name}' has the fields [{string.Join(", ", keys)}], not dtype, shape and data_offsets");
            var dtype = p.Value.GetProperty("dtype").GetString()!;
            if (!DTypeSizes.TryGetValue(dtype, out int size)) throw new InvalidDataException(where + $"tensor '{p.Name}' has dtype {dtype}, which the format does not define");
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException(where + $"tensor '{p.Name}' has a negative dimension");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > buffer.Length)
                throw new InvalidDataException(where + $"tensor '{p.Name}' has data_offsets [{string.Join(", ", offsets)}] outside the {buffer.Length}-byte buffer");
            long elements = shape.Aggregate(1L, (a, d) => a * d);
            if (offsets[1] - offsets[0] != elements * size)
                throw new InvalidDataException(where + $"tensor '{p.Name}' spans {offsets[1] - offsets[0]} bytes, but {dtype} [{string.Join(", ", shape)}] needs {elements * size}");
            tensors.Add(new Tensor(p.Name, dtype, shape, offsets[0], offsets[1]));
        }
        // The buffer is indexed entirely, without holes or overlaps.
        long at = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != at) throw new InvalidDataException(where + $"tensor '{t.Name}' begins at byte {t.Begin} of the buffer, expected {at} (a hole or an overlap)");
            at = t.End;
        }
        if (at != buffer.Length) throw new InvalidDataException(where + $"the tensors index {at} bytes of a {buffer.Length}-byte buffer");
        return new SafetensorsSpec { Path = path, HeaderLength = (long)n, Tensors = tensors, Metadata = metadata, Buffer = buffer };
    }

    /// <summary>A float32 tensor's values, decoded as little-endian.</summary>
    public float[] Floats(string name)
    {
        var t = Tensors.Single(x => x.Name == name);
        if (t.DType != "F32") throw new InvalidOperationException($"'{name}' is {t.DType}");
        var bytes = Buffer.AsSpan((int)t.Begin, (int)(t.End - t.Begin));
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return values;
    }

    /// <summary>
    /// MiDistill's checksum as docs/training.md defines it: SHA-256 (lowercase hex) of, for each tensor
    /// in header order, the UTF-8 text "name NUL dtype NUL shape (comma-separated) NUL begin NUL end LF",
    /// followed by the whole byte buffer.
    /// </summary>
    public string DocumentedChecksum()
    {
        var table = new StringBuilder();
        foreach (var t in Tensors) table.Append(t.Name).Append('\0').Append(t.DType).Append('\0').Append(string.Join(",", t.Shape)).Append('\0').Append(t.Begin).Append('\0').Append(t.End).Append('\n');
        var bytes = Encoding.UTF8.GetBytes(table.ToString()).Concat(Buffer).ToArray();
        return Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
    }
}
