using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping each name to its dtype, shape and byte range, then the raw little-endian bytes.
/// Read directly rather than through a package, so every way a file can be broken gets its own
/// message, and the whole header is checked before any tensor is made.
/// </summary>
public static class Safetensors
{
    /// <summary>Headers are small JSON; a larger "length" means a corrupt or foreign file.</summary>
    private const long MaxHeaderBytes = 100L << 20;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>One entry of the header.</summary>
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Reads and checks the header only (names, dtypes, shapes, byte ranges).</summary>
    public static IReadOnlyList<Entry> ReadHeader(string path)
    {
        using var stream = Open(path);
        return ReadHeader(path, stream, out _);
    }

    /// <summary>Every tensor of the file, on the CPU, in the file's dtypes, in header order.</summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> Read(string path)
    {
        using var stream = Open(path);
        var entries = ReadHeader(path, stream, out long dataStart);
        var result = new List<(string, Tensor)>(entries.Count);
        try
        {
            foreach (var e in entries)
            {
                var bytes = new byte[e.End - e.Begin];
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                stream.ReadExactly(bytes);
                var (type, _) = DTypes[e.DType];
                var t = empty(e.Shape, type);
                if (bytes.Length > 0) t.bytes = bytes;
                result.Add((e.Name, t.DetachFromDisposeScope()));
            }
            return result;
        }
        catch
        {
            foreach (var (_, t) in result) t.Dispose();
            throw;
        }
    }

    /// <summary>Writes tensors (moved to the CPU, made contiguous) to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var items = tensors.ToList();
        var header = new Dictionary<string, object>();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in items)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            var dtype = DTypes.First(kv => kv.Value.Type == cpu.dtype).Key;
            var bytes = cpu.numel() == 0 ? Array.Empty<byte>() : cpu.bytes.ToArray();
            header[name] = new { dtype, shape = cpu.shape, data_offsets = new[] { offset, offset + bytes.Length } };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        foreach (var blob in blobs) stream.Write(blob);
    }

    private static FileStream Open(string path)
    {
        try { return File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message, e);
        }
    }

    private static IReadOnlyList<Entry> ReadHeader(string path, Stream stream, out long dataStart)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointException(path, $"not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > (ulong)MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw new CheckpointException(path, $"corrupt safetensors header: it claims {headerLength} bytes, but the file has {fileLength - 8} after the length field (truncated or not a safetensors file)");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"corrupt safetensors header: invalid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, "corrupt safetensors header: the JSON header is not an object");
            var entries = new List<Entry>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                entries.Add(ParseEntry(path, property, dataLength));
            }
            return entries;
        }
    }

    private static Entry ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string key = property.Name;
        CheckpointException Bad(string what) => new(path, $"corrupt safetensors header at key '{key}': {what}");
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw Bad("expected {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}");
        string dtype = dtypeElement.GetString()!;
        if (!DTypes.TryGetValue(dtype, out var info))
            throw new CheckpointException(path, $"tensor '{key}' has dtype {dtype}, which this runtime cannot use; supported: {string.Join(", ", DTypes.Keys)}");
        long[] shape;
        long begin, end;
        try
        {
            shape = shapeElement.EnumerateArray().Select(d => d.GetInt64()).ToArray();
            begin = offsetsElement[0].GetInt64();
            end = offsetsElement[1].GetInt64();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw Bad("shape and data_offsets must be integers");
        }
        if (shape.Any(d => d < 0)) throw Bad($"negative dimension in shape [{string.Join(", ", shape)}]");
        long numel = shape.Aggregate(1L, (a, d) => a * d);
        if (begin < 0 || end < begin || end > dataLength)
            throw new CheckpointException(path, $"tensor '{key}' spans bytes {begin}..{end}, but the data section has {dataLength} bytes (the file is truncated or corrupt)");
        if (end - begin != numel * info.Size)
            throw Bad($"{end - begin} bytes for a {dtype} tensor of shape [{string.Join(", ", shape)}], which needs {numel * info.Size}");
        return new Entry(key, dtype, shape, begin, end);
    }
}
