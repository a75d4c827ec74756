using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Models;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Information;

/// <summary>What one pass of the probe images through a (possibly pruned) teacher shows; tensors on the CPU.</summary>
public sealed class ProbeCapture : IDisposable
{
    internal ProbeCapture(Tensor[] afterAttention, Tensor[] afterMlp, Tensor features, Tensor logits, double[] activeFraction)
    {
        AfterAttention = afterAttention;
        AfterMlp = afterMlp;
        Features = features;
        Logits = logits;
        ActiveFraction = activeFraction;
    }

    /// <summary>H after each block's attention sub-block (h' = h + Attn(LN1(h))), [n, D] per block; empty when blocks were not captured.</summary>
    public IReadOnlyList<Tensor> AfterAttention { get; }
    /// <summary>H after each block's MLP sub-block (h+ = h' + alpha MLP(LN2(h'))), [n, D] per block; empty when blocks were not captured.</summary>
    public IReadOnlyList<Tensor> AfterMlp { get; }
    /// <summary>F_T: the CLS token after the final LayerNorm, [n, D].</summary>
    public Tensor Features { get; }
    public Tensor Logits { get; }
    /// <summary>Per block: the fraction of MLP hidden units whose GELU input is positive, over every token of every probe image.</summary>
    public IReadOnlyList<double> ActiveFraction { get; }

    public void Dispose()
    {
        foreach (var t in AfterAttention.Concat(AfterMlp)) t.Dispose();
        Features.Dispose();
        Logits.Dispose();
    }
}

/// <summary>Which token of a sub-block's output [n, T, D] represents it, [n, D].</summary>
public enum TokenReadout
{
    /// <summary>The CLS token: the path to F_T, which is the normed CLS token.</summary>
    Cls,
    /// <summary>The mean over all tokens.</summary>
    Mean,
}

/// <summary>
/// Runs probe images through a ViT sub-block by sub-block, so diagnostics can read the representation
/// after each attention and MLP sub-block and remove sub-blocks without touching the model.
/// </summary>
public static class TeacherProbe
{
    private const int BatchSize = 250;

    /// <param name="images">Normalised probe images [n, C, H, W] (any device; batches move to the model's device).</param>
    /// <param name="removedAttention">Blocks whose attention sub-block is skipped (h' = h).</param>
    /// <param name="removedMlp">Blocks whose MLP sub-block is skipped (h+ = h').</param>
    /// <param name="captureBlocks">Keep H after every sub-block (costs n x D floats per sub-block).</param>
    public static ProbeCapture Run(VisionTransformer vit, Tensor images, Func<Tensor, Tensor> input, TokenReadout token,
        IReadOnlySet<int>? removedAttention = null, IReadOnlySet<int>? removedMlp = null, bool captureBlocks = true)
    {
        ArgumentNullException.ThrowIfNull(vit);
        removedAttention ??= new HashSet<int>();
        removedMlp ??= new HashSet<int>();
        int depth = vit.Depth;
        var blocks = vit.Blocks;
        var alphas = vit.MlpAlphas;
        var scales = vit.ResidualScales;
        var device = vit.parameters().First().device;
        var attention = Enumerable.Range(0, depth).Select(_ => new List<Tensor>()).ToArray();
        var mlp = Enumerable.Range(0, depth).Select(_ => new List<Tensor>()).ToArray();
        var features = new List<Tensor>();
        var logits = new List<Tensor>();
        var active = new double[depth];
        long activeCount = 0;
        bool wasTraining = vit.training;
        vit.eval();
        try
        {
            using var _ = no_grad();
            long n = images.shape[0];
            for (long start = 0; start < n; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = input(images.narrow(0, start, Math.Min(BatchSize, n - start)).to(device));
                var h = vit.embed(batch);
                for (int b = 0; b < depth; b++)
                {
                    var block = blocks[b];
                    if (!removedAttention.Contains(b)) h = h + block.Attn.call(block.Norm1.call(h));
                    if (captureBlocks) attention[b].Add(Keep(Token(h, token)));
                    if (!removedMlp.Contains(b))
                    {
                        var pre = block.MlpBranch.Fc1.call(block.Norm2.call(h));
                        active[b] += (pre > 0).sum().to(ScalarType.Float64).item<double>();
                        var branch = block.MlpBranch.Fc2.call(nn.functional.gelu(pre));
                        h = scales[b] * h + alphas[b] * branch;
                    }
                    else active[b] = double.NaN;
                    if (captureBlocks) mlp[b].Add(Keep(Token(h, token)));
                }
                if (depth > 0) activeCount += h.shape[0] * h.shape[1] * blocks[0].MlpBranch.Fc1.weight.shape[0];
                var f = vit.pool(h);
                features.Add(Keep(f));
                logits.Add(Keep(vit.forward_head(f)));
            }
        }
        finally
        {
            vit.train(wasTraining);
        }
        var fractions = active.Select(a => activeCount == 0 ? double.NaN : a / activeCount).ToArray();
        return new ProbeCapture(
            captureBlocks ? attention.Select(Concat).ToArray() : Array.Empty<Tensor>(),
            captureBlocks ? mlp.Select(Concat).ToArray() : Array.Empty<Tensor>(),
            Concat(features), Concat(logits), fractions);
    }

    private static Tensor Token(Tensor h, TokenReadout token) => token switch
    {
        TokenReadout.Cls => h.select(1, 0),
        TokenReadout.Mean => h.mean(new long[] { 1 }),
        _ => throw new ArgumentOutOfRangeException(nameof(token), token, null),
    };

    private static Tensor Keep(Tensor t) => t.to(CPU).clone().DetachFromDisposeScope();

    private static Tensor Concat(List<Tensor> parts)
    {
        var all = cat(parts.ToArray(), 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
