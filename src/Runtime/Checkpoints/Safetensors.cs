using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping each name to its dtype, shape and byte range (plus an optional <c>__metadata__</c> map of
/// strings), then the raw little-endian bytes. Read directly rather than through a package, so
/// every way a file can be broken gets its own message, and the whole header is checked before any
/// tensor is made. Files MiDistill writes carry <see cref="ChecksumKey"/> in their metadata: a
/// SHA-256 of the tensor table and the data, verified on every read, so a damaged file is an error
/// naming it instead of weights that load and train wrongly.
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

    /// <summary>The metadata key of the SHA-256 (hex) MiDistill writes: over the tensor table, then the data section.</summary>
    public const string ChecksumKey = "midistill.sha256";

    /// <summary>One entry of the header.</summary>
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Reads and checks the header only (names, dtypes, shapes, byte ranges).</summary>
    public static IReadOnlyList<Entry> ReadHeader(string path)
    {
        using var stream = Open(path);
        return ReadHeader(path, stream, out _, out _);
    }

    /// <summary>The header's <c>__metadata__</c> strings (empty when it has none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = Open(path);
        ReadHeader(path, stream, out _, out var metadata);
        return metadata;
    }

    /// <summary>
    /// Every tensor of the file, on the CPU, in the file's dtypes, in header order. A file with a
    /// MiDistill checksum is verified first; <paramref name="damaged"/> is what the error says to do then.
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> Read(string path, string? damaged = null)
    {
        using var stream = Open(path);
        var entries = ReadHeader(path, stream, out long dataStart, out var metadata);
        if (metadata.TryGetValue(ChecksumKey, out var expected))
        {
            stream.Seek(dataStart, SeekOrigin.Begin);
            var actual = Checksum(entries, stream);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException(path, $"the file is damaged: its contents do not match the checksum in its header ({ChecksumKey} {expected}, computed {actual})" + (damaged is null ? "" : "; " + damaged));
        }
        var result = new List<(string, Tensor)>(entries.Count);
        try
        {
            foreach (var e in entries)
            {
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                var (type, _) = DTypes[e.DType];
                var t = empty(e.Shape, type).DetachFromDisposeScope();
                result.Add((e.Name, t));
                // Straight from the file into the tensor's memory: no byte[] of the tensor's size.
                if (e.End > e.Begin) t.ReadBytesFromStream(stream, 1 << 16);
            }
            return result;
        }
        catch
        {
            foreach (var (_, t) in result) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors (moved to the CPU, made contiguous) to <paramref name="path"/>, with
    /// <paramref name="metadata"/> and the checksum in <c>__metadata__</c>, flushed to disk. Names
    /// stay as given: a model's state_dict names are PyTorch's, so the file loads there too. Each
    /// tensor's bytes go straight to the file through the checksum: the header is written with a
    /// placeholder of the checksum's fixed length, which is filled in once the data is written, so no
    /// buffer holds a tensor's bytes, let alone the file's.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<Entry>();
        var sources = new List<Tensor>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (name == "__metadata__" || entries.Any(e => e.Name == name))
                throw new ArgumentException($"tensor name '{name}' is reserved or repeated", nameof(tensors));
            var dtype = DTypes.FirstOrDefault(kv => kv.Value.Type == tensor.dtype).Key
                ?? throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}, which safetensors files here cannot hold", nameof(tensors));
            long bytes = tensor.numel() * DTypes[dtype].Size;
            entries.Add(new Entry(name, dtype, tensor.shape, offset, offset + bytes));
            sources.Add(tensor);
            offset += bytes;
        }
        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata is not null)
            foreach (var (key, value) in metadata) meta[key] = value;
        // 64 hex digits, like the SHA-256 that replaces it: the header's length does not change.
        var placeholder = new string('0', 64);
        meta[ChecksumKey] = placeholder;

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in meta) json.WriteString(key, value);
            json.WriteEndObject();
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (var d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(e.Begin);
                json.WriteNumberValue(e.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // The format allows padding the header with spaces; 8-byte alignment lets readers map the data.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        var header = buffer.ToArray();
        int at = header.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"\"{ChecksumKey}\":\"{placeholder}\""));
        if (at < 0) throw new InvalidOperationException("the safetensors header lost its checksum placeholder");
        at += Encoding.UTF8.GetByteCount($"\"{ChecksumKey}\":\"");

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(header);
        using (var data = new HashingStream(stream))
        {
            data.HashOnly(TableBytes(entries));
            for (int i = 0; i < sources.Count; i++)
            {
                using var cpu = sources[i].detach().cpu().contiguous();
                if (cpu.numel() > 0) cpu.WriteBytesToStream(data, 1 << 16);
                if (data.Written != entries[i].End)
                    throw new InvalidOperationException($"tensor '{entries[i].Name}' wrote {data.Written - entries[i].Begin} bytes, not {entries[i].End - entries[i].Begin}");
            }
            stream.Flush();
            stream.Position = 8 + at;
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexString(data.Hash()).ToLowerInvariant()));
        }
        stream.Flush(flushToDisk: true);
    }

    /// <summary>SHA-256 (hex) of the tensor table (names, dtypes, shapes, offsets, in order), then the data section read from <paramref name="data"/>.</summary>
    private static string Checksum(IReadOnlyList<Entry> entries, Stream data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(TableBytes(entries));
        var chunk = new byte[1 << 16];
        int read;
        while ((read = data.Read(chunk)) > 0) hash.AppendData(chunk, 0, read);
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>What the checksum covers before the data: one line per tensor, <c>name\0dtype\0shape\0begin\0end\n</c>.</summary>
    private static byte[] TableBytes(IReadOnlyList<Entry> entries) =>
        Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => $"{e.Name}\0{e.DType}\0{string.Join(",", e.Shape)}\0{e.Begin}\0{e.End}\n")));

    private static FileStream Open(string path)
    {
        try { return File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message, e);
        }
    }

    private static IReadOnlyList<Entry> ReadHeader(string path, Stream stream, out long dataStart, out IReadOnlyDictionary<string, string> metadata)
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
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new CheckpointException(path, "corrupt safetensors header: __metadata__ is not an object of strings");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String)
                            throw new CheckpointException(path, $"corrupt safetensors header: __metadata__ value '{item.Name}' is not a string");
                        meta[item.Name] = item.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, property, dataLength));
            }
            metadata = meta;
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
