using System;
using System.Security.Cryptography;

namespace MiDistill.Runtime.Data;

/// <summary>
/// Where the pixels of a data set live: decoded bytes in memory (<see cref="InMemoryImages"/>) or
/// files decoded when a batch asks for them (<see cref="ImageFiles"/>). An <see cref="ImageSet"/> is
/// labels and indices into a store, so splits and subsets never copy pixels.
/// </summary>
/// <remarks>
/// <see cref="Read"/> is called from the background workers of a <see cref="BatchStream"/> at the
/// same time, so a store must be safe to read from several threads.
/// </remarks>
public interface IImageStore
{
    int Count { get; }
    int Channels { get; }
    int Height { get; }
    int Width { get; }

    /// <summary>Writes image <paramref name="index"/> as bytes [C, H, W] into <paramref name="destination"/> (exactly C*H*W long).</summary>
    void Read(int index, Span<byte> destination);

    /// <summary>
    /// Adds what identifies image <paramref name="index"/>'s content to <paramref name="hash"/> (the
    /// pretrained-teacher cache key): its pixels, or for a file its bytes, never its path.
    /// </summary>
    void AppendContent(int index, IncrementalHash hash);
}
