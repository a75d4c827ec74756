using System;
using System.Buffers.Binary;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Distill;

/// <summary>A teacher-output cache file that cannot be used (damaged, cut short, of another format); names the file.</summary>
public sealed class TeacherOutputsException(string file, string message) : IOException($"teacher-output cache {file}: {message}")
{
    public string File { get; } = file;
}

/// <summary>
/// A teacher's outputs on K augmentation views of every image of a set, compact: for each (image,
/// view) the view's seed, the <see cref="TopK"/> largest logits (fp16 or fp32) with their class
/// indices, and, when classes are left out, the log of their softmax mass at <see cref="Temperature"/>
/// (so the mass the stored classes leave is kept, spread evenly over the others). Also the
/// teacher's predicted class of the set's unlabeled tail (the transfer images). Disk and memory are
/// the same size: <see cref="Bytes"/>.
/// </summary>
public sealed class TeacherOutputs
{
    private const string Magic = "MDTC1\n";

    public TeacherOutputs(int images, int views, int classes, int topK, bool half, double temperature, int[] predicted)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(views, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (topK < 1 || topK > classes) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top_k must lie in [1, {classes}]");
        Images = images;
        Views = views;
        Classes = classes;
        TopK = topK;
        Half = half;
        Temperature = temperature;
        Predicted = predicted ?? throw new ArgumentNullException(nameof(predicted));
        long rows = (long)images * views;
        Seeds = new int[rows];
        if (half) HalfValues = new Half[rows * topK]; else FloatValues = new float[rows * topK];
        Indices = new int[rows * topK];
        Rest = topK < classes ? new float[rows] : Array.Empty<float>();
    }

    public int Images { get; }
    public int Views { get; }
    public int Classes { get; }
    public int TopK { get; }
    public bool Half { get; }
    /// <summary>The temperature the left-out mass is measured at (unused when every class is kept).</summary>
    public double Temperature { get; }
    /// <summary>The teacher's predicted class of each unlabeled image (the set's last <c>Predicted.Length</c> images).</summary>
    public int[] Predicted { get; }
    /// <summary>The seed each (image, view) was augmented with, image-major.</summary>
    public int[] Seeds { get; }
    private Half[]? HalfValues { get; }
    private float[]? FloatValues { get; }
    private int[] Indices { get; }
    private float[] Rest { get; }

    private int IndexBytes => Classes <= 65536 ? 2 : 4;

    /// <summary>Bytes on disk and in memory (the header aside).</summary>
    public long Bytes => (long)Images * Views * (4 + TopK * ((Half ? 2 : 4) + IndexBytes) + (TopK < Classes ? 4 : 0)) + 4L * Predicted.Length;

    /// <summary>What a cache of this shape takes, before it is filled.</summary>
    public static long Estimate(int images, int views, int classes, int topK, bool half, int unlabeled) =>
        (long)images * views * (4 + topK * ((half ? 2 : 4) + (classes <= 65536 ? 2 : 4)) + (topK < classes ? 4 : 0)) + 4L * unlabeled;

    /// <summary>Stores the teacher's logits [B, C] of view <paramref name="view"/> of images <paramref name="images"/>.</summary>
    public void Store(ReadOnlySpan<int> images, int view, Tensor logits)
    {
        if (logits.dim() != 2 || logits.shape[0] != images.Length || logits.shape[1] != Classes)
            throw new ArgumentException($"logits must be [{images.Length}, {Classes}], got [{string.Join(", ", logits.shape)}]", nameof(logits));
        using var scope = NewDisposeScope();
        var cpu = logits.detach().to(ScalarType.Float32).cpu();
        var (values, indices) = cpu.topk(TopK, dim: 1, largest: true, sorted: true);
        var v = values.contiguous().data<float>().ToArray();
        var ix = indices.contiguous().data<long>().ToArray();
        float[]? rest = null;
        if (TopK < Classes)
        {
            // log of sum over the left-out classes of exp(l / T): the mass they keep at the loss's temperature.
            var leftOut = ones(cpu.shape, dtype: ScalarType.Bool).scatter(1, indices, zeros(indices.shape, dtype: ScalarType.Bool));
            var scaled = cpu.div(Temperature).masked_fill(leftOut.logical_not(), double.NegativeInfinity);
            rest = scaled.logsumexp(1).contiguous().data<float>().ToArray();
        }
        for (int b = 0; b < images.Length; b++)
        {
            long row = (long)images[b] * Views + view;
            for (int k = 0; k < TopK; k++)
            {
                long at = row * TopK + k;
                if (HalfValues is not null) HalfValues[at] = (Half)v[b * TopK + k]; else FloatValues![at] = v[b * TopK + k];
                Indices[at] = (int)ix[b * TopK + k];
            }
            if (rest is not null) Rest[row] = rest[b];
        }
    }

    /// <summary>
    /// The teacher's logits [B, C] of the given (image, view) pairs as the loss reads them: the stored
    /// logits at their classes; every other class the same logit, T (rest - log(C - K)), so that
    /// softmax(logits / T) gives each stored class its exact probability and the others an even share
    /// of the mass they had. With every class stored these are the teacher's logits.
    /// </summary>
    public Tensor Logits(ReadOnlySpan<int> images, ReadOnlySpan<int> views, Device device)
    {
        var dense = new float[images.Length * Classes];
        for (int b = 0; b < images.Length; b++)
        {
            long row = (long)images[b] * Views + views[b];
            var target = dense.AsSpan(b * Classes, Classes);
            if (TopK < Classes)
                target.Fill((float)(Temperature * (Rest[row] - Math.Log(Classes - TopK))));
            for (int k = 0; k < TopK; k++)
            {
                long at = row * TopK + k;
                target[Indices[at]] = HalfValues is not null ? (float)HalfValues[at] : FloatValues![at];
            }
        }
        return tensor(dense, new long[] { images.Length, Classes }, device: device);
    }

    /// <summary>Writes the cache to <paramref name="path"/> with its SHA-256 at the end (the caller renames a temporary file).</summary>
    public void Write(string path, string key)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> bytes)
        {
            file.Write(bytes);
            hash.AppendData(bytes);
        }
        var header = Encoding.UTF8.GetBytes($"{{\"images\":{Images},\"views\":{Views},\"classes\":{Classes},\"top_k\":{TopK},\"half\":{(Half ? "true" : "false")}," +
            $"\"temperature\":{Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture)},\"predicted\":{Predicted.Length},\"key\":{System.Text.Json.JsonSerializer.Serialize(key)}}}");
        Put(Encoding.ASCII.GetBytes(Magic));
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, header.Length);
        Put(four);
        Put(header);
        var buffer = new byte[1 << 16];
        int used = 0;
        void Flush() { Put(buffer.AsSpan(0, used)); used = 0; }
        void Int(int value, int size)
        {
            if (used + 4 > buffer.Length) Flush();
            if (size == 2) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(used), checked((ushort)value));
            else BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(used), value);
            used += size;
        }
        void Float(float value) { if (used + 4 > buffer.Length) Flush(); BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used), value); used += 4; }
        foreach (var p in Predicted) Int(p, 4);
        foreach (var s in Seeds) Int(s, 4);
        if (HalfValues is not null)
            foreach (var h in HalfValues) { if (used + 2 > buffer.Length) Flush(); BinaryPrimitives.WriteHalfLittleEndian(buffer.AsSpan(used), h); used += 2; }
        else
            foreach (var f in FloatValues!) Float(f);
        foreach (var i in Indices) Int(i, IndexBytes);
        foreach (var r in Rest) Float(r);
        Flush();
        file.Write(hash.GetHashAndReset());
        file.Flush(flushToDisk: true);
    }

    /// <summary>Reads a cache written by <see cref="Write"/>, checking its length and checksum; the key it was written under must be <paramref name="key"/>.</summary>
    public static TeacherOutputs Read(string path, string key)
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new TeacherOutputsException(path, $"cannot be read ({e.Message})");
        }
        if (bytes.Length < Magic.Length + 4 + 32 || Encoding.ASCII.GetString(bytes, 0, Magic.Length) != Magic)
            throw new TeacherOutputsException(path, "not a teacher-output cache of this version (it is cut short or of another format)");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new TeacherOutputsException(path, "damaged: its SHA-256 does not match its content");
        int at = Magic.Length;
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        at += 4;
        using var json = System.Text.Json.JsonDocument.Parse(body.Slice(at, headerLength).ToArray());
        at += headerLength;
        var h = json.RootElement;
        if (h.GetProperty("key").GetString() != key)
            throw new TeacherOutputsException(path, "written for another teacher, data or augmentation (its key differs)");
        int predicted = h.GetProperty("predicted").GetInt32();
        var outputs = new TeacherOutputs(h.GetProperty("images").GetInt32(), h.GetProperty("views").GetInt32(), h.GetProperty("classes").GetInt32(),
            h.GetProperty("top_k").GetInt32(), h.GetProperty("half").GetBoolean(), h.GetProperty("temperature").GetDouble(), new int[predicted]);
        if (outputs.Bytes != body.Length - at)
            throw new TeacherOutputsException(path, $"holds {body.Length - at} bytes of outputs where its header promises {outputs.Bytes}");
        for (int i = 0; i < predicted; i++, at += 4) outputs.Predicted[i] = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        for (int i = 0; i < outputs.Seeds.Length; i++, at += 4) outputs.Seeds[i] = BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        if (outputs.HalfValues is not null)
            for (int i = 0; i < outputs.HalfValues.Length; i++, at += 2) outputs.HalfValues[i] = BinaryPrimitives.ReadHalfLittleEndian(body[at..]);
        else
            for (int i = 0; i < outputs.FloatValues!.Length; i++, at += 4) outputs.FloatValues[i] = BinaryPrimitives.ReadSingleLittleEndian(body[at..]);
        int size = outputs.IndexBytes;
        for (int i = 0; i < outputs.Indices.Length; i++, at += size)
            outputs.Indices[i] = size == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(body[at..]) : BinaryPrimitives.ReadInt32LittleEndian(body[at..]);
        for (int i = 0; i < outputs.Rest.Length; i++, at += 4) outputs.Rest[i] = BinaryPrimitives.ReadSingleLittleEndian(body[at..]);
        return outputs;
    }
}
