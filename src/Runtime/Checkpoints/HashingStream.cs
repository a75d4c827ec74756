using System;
using System.IO;
using System.Security.Cryptography;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// A write-only stream that passes every byte on to <paramref name="inner"/> (or drops it when null)
/// and feeds it to a SHA-256 as it goes: checkpoints are written straight to their file with their
/// checksum, whatever their size, never gathered in one buffer first (a byte[] holds at most 2 GB).
/// Leaves <paramref name="inner"/> open.
/// </summary>
internal sealed class HashingStream(Stream? inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>Adds <paramref name="bytes"/> to the hash only: not written, not counted.</summary>
    public void HashOnly(ReadOnlySpan<byte> bytes) => _hash.AppendData(bytes);

    /// <summary>SHA-256 of every byte written (or <see cref="HashOnly"/>-added) so far.</summary>
    public byte[] Hash() => _hash.GetCurrentHash();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner?.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    public override void Flush() => inner?.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>SHA-256 of <paramref name="length"/> bytes of <paramref name="stream"/> from its position, read in chunks.</summary>
    public static byte[] Of(Stream stream, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 16];
        while (length > 0)
        {
            int read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, length));
            if (read == 0) throw new EndOfStreamException();
            hash.AppendData(chunk, 0, read);
            length -= read;
        }
        return hash.GetHashAndReset();
    }
}

/// <summary>A read-only view of the first <paramref name="length"/> bytes of <paramref name="inner"/> from its position: reading past them is the end of the stream. Leaves <paramref name="inner"/> open.</summary>
internal sealed class PrefixStream(Stream inner, long length) : Stream
{
    private readonly long _length = length;
    private long _left = length;

    /// <summary>Bytes of the prefix not read yet.</summary>
    public long Remaining => _left;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_left <= 0) return 0;
        int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
        _left -= read;
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _left; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
