using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace MiDistill.Runtime.Data;

/// <summary>Images of an IDX file, row-major, one byte per pixel: image i starts at i * Rows * Cols.</summary>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Cols);

/// <summary>
/// Reads the IDX format of MNIST-style data sets (big-endian header, unsigned-byte payload),
/// gzip-compressed or raw. Every failure is an <see cref="InvalidDataException"/> naming the file,
/// because a data problem found later (a shape mismatch inside a training step) no longer says which
/// file was at fault.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, ImagesMagic, "IDX unsigned-byte images", dimensions: 3);
        int count = header[0], rows = header[1], cols = header[2];
        long size = (long)count * rows * cols;
        if (size > Array.MaxLength)
            throw Invalid(path, $"the header announces {count} images of {rows}x{cols} ({size} bytes), more than one array can hold");
        var pixels = ReadPayload(stream, path, size, $"{count} images of {rows}x{cols}");
        return new IdxImages(pixels, count, rows, cols);
    }

    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, LabelsMagic, "IDX unsigned-byte labels", dimensions: 1);
        return ReadPayload(stream, path, header[0], $"{header[0]} labels");
    }

    private static Stream Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file", path);
        var file = File.OpenRead(path);
        // Sniff the gzip magic rather than trust the extension: decompressed copies often keep ".gz".
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (n == 2 && head[0] == 0x1f && head[1] == 0x8b)
            return new GZipStream(file, CompressionMode.Decompress);
        return file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedMagic, string what, int dimensions)
    {
        int headerBytes = 4 + 4 * dimensions;
        var header = new byte[headerBytes];
        int read = Read(stream, path, header);
        if (read < 4)
            throw Invalid(path, $"truncated: {read} bytes, too short for an IDX magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            var message = $"wrong magic number 0x{magic:X8}; expected 0x{expectedMagic:X8} ({what})";
            // An IDX file of the wrong kind (labels passed as images) deserves a plainer hint.
            if ((magic & ~0xFF) == 0x00000800)
                message += $"; the file holds {magic & 0xFF}-dimensional IDX data";
            throw Invalid(path, message);
        }
        if (read < headerBytes)
            throw Invalid(path, $"truncated: the header needs {headerBytes} bytes but the file has only {read}");
        var sizes = new int[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            sizes[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
            if (sizes[d] < 0)
                throw Invalid(path, $"dimension {d} has negative size {sizes[d]}");
        }
        return sizes;
    }

    private static byte[] ReadPayload(Stream stream, string path, long size, string announced)
    {
        var payload = new byte[size];
        int read = Read(stream, path, payload);
        if (read < size)
            throw Invalid(path, $"truncated: the header announces {announced} ({size} bytes) but only {read} bytes follow");
        Span<byte> extra = stackalloc byte[1];
        if (Read(stream, path, extra) > 0)
            throw Invalid(path, $"the header announces {announced} ({size} bytes) but more bytes follow; the file is not what its header says");
        return payload;
    }

    private static int Read(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"corrupt gzip stream ({e.Message})", e);
        }
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);
}
