using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Models;

/// <summary>
/// A pre-norm ViT with timm's parameter names (so timm checkpoints load by name) and a fixed,
/// non-trainable weight on each block's MLP branch: the ReMem reweighting
/// h+ = beta_i * h' + alpha_i * MLP(LN2(h')), where beta_i (the residual scale) is 1 except in the
/// all-block form (beta = 2 - alpha).
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>, MiDistill.Runtime.Checkpoints.ICheckpointLayout, IOnnxExportable
{
    /// <summary>timm's names: the head is `head`; the ReMem reweighting is ours (timm checkpoints never carry it); pos_embed is resampled to this grid.</summary>
    public MiDistill.Runtime.Checkpoints.LoadRules LoadRules { get; } = new()
    {
        IsHead = k => k.StartsWith("head.", StringComparison.Ordinal),
        MayBeMissing = k => k.EndsWith(".mlp_alpha", StringComparison.Ordinal) || k.EndsWith(".residual_scale", StringComparison.Ordinal),
        AddedLater = k => k.EndsWith(".residual_scale", StringComparison.Ordinal),
        Adapt = (key, found, expected) => key == "pos_embed" && found.dim() == 3 && found.shape[2] == expected[2]
            ? MiDistill.Runtime.Checkpoints.PosEmbed.Resample(found, (int)Math.Round(Math.Sqrt(expected[1] - 1)))
            : null,
    };

    /// <summary>Loading must not carry over a reweighting; the fine-tuning schedule sets it.</summary>
    void MiDistill.Runtime.Checkpoints.ICheckpointLayout.AfterLoad()
    {
        var ones = new double[Depth];
        Array.Fill(ones, 1.0);
        SetMlpAlphas(ones);
        SetResidualScales(ones);
    }

    // Field order is registration order, which is timm's state_dict order.
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly PatchEmbed patch_embed;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm norm;
    private Linear head;

    public VisionTransformer(VitSpec options, int numClasses) : base(nameof(VisionTransformer))
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options, numClasses);

        EmbedDim = options.EmbedDim;
        int gridSize = options.ImageSize / options.PatchSize;
        int numPatches = gridSize * gridSize;
        int hidden = (int)Math.Round(options.EmbedDim * options.MlpRatio);

        // Detached so a model built inside a dispose scope outlives it, like TorchSharp's own modules.
        cls_token = new Parameter(zeros(1, 1, EmbedDim).DetachFromDisposeScope());
        pos_embed = new Parameter(zeros(1, 1 + numPatches, EmbedDim).DetachFromDisposeScope());
        patch_embed = new PatchEmbed(options.ImageSize, options.PatchSize, options.InChannels, EmbedDim);
        blocks = new ModuleList<Block>(
            Enumerable.Range(0, options.Depth).Select(_ => new Block(EmbedDim, options.Heads, hidden)).ToArray());
        norm = LayerNorm(EmbedDim, eps: 1e-6);
        head = Linear(EmbedDim, numClasses);

        RegisterComponents();
        InitWeights();
    }

    public int Depth => blocks.Count;

    public int EmbedDim { get; }

    /// <summary>The transformer blocks, for diagnostics that probe or prune individual sub-blocks.</summary>
    public IReadOnlyList<Block> Blocks => blocks.ToArray();

    public IReadOnlyList<double> MlpAlphas => blocks.Select(b => b.MlpAlpha).ToArray();

    /// <summary>Sets every block's MLP weight; one value per block, bottom first, each in [0, 1].</summary>
    public void SetMlpAlphas(IReadOnlyList<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        if (alphas.Count != Depth)
            throw new ArgumentException(
                $"Expected one MLP alpha per block ({Depth}), got {alphas.Count}.", nameof(alphas));
        for (int i = 0; i < alphas.Count; i++) {
            if (!(alphas[i] >= 0 && alphas[i] <= 1))
                throw new ArgumentException(
                    $"MLP alpha of block {i} must lie in [0, 1], got {alphas[i]}.", nameof(alphas));
        }
        for (int i = 0; i < alphas.Count; i++) blocks[i].MlpAlpha = alphas[i];
    }

    public IReadOnlyList<double> ResidualScales => blocks.Select(b => b.ResidualScale).ToArray();

    /// <summary>Sets every block's residual scale (the weight of h' in the MLP sub-block); one value per block, bottom first, each in [1, 2].</summary>
    public void SetResidualScales(IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Count != Depth)
            throw new ArgumentException($"Expected one residual scale per block ({Depth}), got {scales.Count}.", nameof(scales));
        for (int i = 0; i < scales.Count; i++)
            if (!(scales[i] >= 1 && scales[i] <= 2))
                throw new ArgumentException($"Residual scale of block {i} must lie in [1, 2], got {scales[i]}.", nameof(scales));
        for (int i = 0; i < scales.Count; i++) blocks[i].ResidualScale = scales[i];
    }

    /// <summary>Replaces the classifier by a freshly initialised one (a pretrained teacher meets new classes).</summary>
    public void ResetHead(int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");
        var old = head;
        var fresh = Linear(EmbedDim, numClasses, device: old.weight.device, dtype: old.weight.dtype);
        InitLinear(fresh);
        fresh.train(training);
        head = fresh;
        // register_module refuses to overwrite; the ordered dict keeps head's slot in state_dict order.
        _internal_submodules["head"] = fresh;
        old.Dispose();
    }

    /// <summary>The CLS token after the final LayerNorm, [B, D]: F_T, the distillation target.</summary>
    public Tensor forward_features(Tensor x)
    {
        var h = embed(x);
        foreach (var block in blocks) {
            var next = block.call(h);
            h.Dispose();
            h = next;
        }
        using (h) return pool(h);
    }

    /// <summary>Patch tokens with the CLS token in front and position embeddings added: [B, 1 + N, D], the first block's input.</summary>
    public Tensor embed(Tensor x)
    {
        using var tokens = patch_embed.call(x);
        long batch = tokens.shape[0];
        using var cls = cls_token.expand(batch, -1, -1);
        using var withCls = cat(new[] { cls, tokens }, 1);
        return withCls.add(pos_embed);
    }

    /// <summary>The last block's tokens to F_T: the CLS token after the final LayerNorm, [B, D].</summary>
    public Tensor pool(Tensor tokens)
    {
        // LayerNorm is per token, so normalising only the CLS token equals timm's norm-then-select.
        using var clsOut = tokens.select(1, 0);
        return norm.call(clsOut);
    }

    /// <summary>The classifier on F_T.</summary>
    public Tensor forward_head(Tensor features) => head.call(features);

    public override Tensor forward(Tensor x)
    {
        using var features = forward_features(x);
        return head.call(features);
    }

    /// <summary>The same forward, with each block's MLP weight folded into its fc2 (see <see cref="Block"/>).</summary>
    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var tokens = graph.Call(patch_embed, x, "patch_embed");
        // cls_token expanded to the batch: [batch, 1, D], the batch read from the tokens' shape.
        var batch = graph.Node("Gather", new[] { graph.Node("Shape", new[] { tokens }), graph.Int64s(new long[] { 0 }) }, OnnxAttribute.Int("axis", 0));
        var shape = graph.Node("Concat", new[] { batch, graph.Int64s(new long[] { 1, EmbedDim }) }, OnnxAttribute.Int("axis", 0));
        var cls = graph.Node("Expand", new[] { graph.Initializer("cls_token", cls_token), shape });
        var h = graph.Add(graph.Node("Concat", new[] { cls, tokens }, OnnxAttribute.Int("axis", 1)), graph.Initializer("pos_embed", pos_embed));
        for (int i = 0; i < blocks.Count; i++) h = graph.Call(blocks[i], h, $"blocks.{i}");
        var clsOut = graph.Node("Gather", new[] { h, graph.Int64s(new long[] { 0 }, scalar: true) }, OnnxAttribute.Int("axis", 1));
        return graph.Call(head, graph.Call(norm, clsOut, "norm"), "head");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            patch_embed.Dispose();
            blocks.Dispose();
            norm.Dispose();
            head.Dispose();
        }
        base.Dispose(disposing);
    }

    // timm's default ('') init: trunc-normal(.02) Linear weights, zero biases, trunc-normal(.02)
    // pos_embed, N(0, 1e-6) cls_token, LayerNorm 1/0. The patch projection keeps PyTorch's default
    // Conv2d init, as timm's default mode does (only its 'jax' mode re-initialises it).
    private void InitWeights()
    {
        using var _ = no_grad();
        Init.TruncNormal_(pos_embed, std: 0.02);
        nn.init.normal_(cls_token, std: 1e-6);
        foreach (var (_, module) in named_modules()) {
            if (module is Linear linear) InitLinear(linear);
        }
    }

    private static void InitLinear(Linear linear)
    {
        using var _ = no_grad();
        Init.TruncNormal_(linear.weight, std: 0.02);
        if (linear.bias is not null) nn.init.zeros_(linear.bias);
    }

    private static void Validate(VitSpec o, int numClasses)
    {
        if (o.PatchSize < 1 || o.ImageSize < o.PatchSize || o.ImageSize % o.PatchSize != 0)
            throw new ArgumentException(
                $"ViT '{o.Name}': image size {o.ImageSize} must be a positive multiple of patch size {o.PatchSize}.");
        if (o.InChannels < 1) throw new ArgumentException($"ViT '{o.Name}': in_channels must be >= 1, got {o.InChannels}.");
        if (o.Depth < 1) throw new ArgumentException($"ViT '{o.Name}': depth must be >= 1, got {o.Depth}.");
        if (o.Heads < 1 || o.EmbedDim % o.Heads != 0)
            throw new ArgumentException($"ViT '{o.Name}': embed dim {o.EmbedDim} must be divisible by heads {o.Heads}.");
        if (!(o.MlpRatio > 0)) throw new ArgumentException($"ViT '{o.Name}': mlp ratio must be positive, got {o.MlpRatio}.");
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A head needs at least one class.");
    }
}

/// <summary>Non-overlapping patches to tokens: [B, C, H, W] -> [B, N, D].</summary>
public sealed class PatchEmbed : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d proj;
    private readonly int imageSize;

    public PatchEmbed(int imageSize, int patchSize, int inChannels, int embedDim) : base(nameof(PatchEmbed))
    {
        this.imageSize = imageSize;
        proj = Conv2d(inChannels, embedDim, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // pos_embed has one row per patch of the configured size; other sizes would silently misalign.
        if (x.dim() != 4 || x.shape[2] != imageSize || x.shape[3] != imageSize)
            throw new ArgumentException(
                $"Expected images [B, C, {imageSize}, {imageSize}], got [{string.Join(", ", x.shape)}].", nameof(x));
        using var y = proj.call(x);
        using var flat = y.flatten(2);
        return flat.transpose(1, 2);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var maps = graph.Call(proj, x, "proj");
        var flat = graph.Node("Reshape", new[] { maps, graph.Int64s(new long[] { 0, proj.out_channels, -1 }) });
        return graph.Node("Transpose", new[] { flat }, OnnxAttribute.Ints("perm", 0, 2, 1));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) proj.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Multi-head self-attention with a fused qkv projection (timm's layout).</summary>
public sealed class Attention : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int numHeads;

    public Attention(int dim, int numHeads) : base(nameof(Attention))
    {
        this.numHeads = numHeads;
        qkv = Linear(dim, 3 * dim, hasBias: true);
        proj = Linear(dim, dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        using var packed = qkv.call(x);
        using var split = packed.reshape(b, n, 3, numHeads, c / numHeads).permute(2, 0, 3, 1, 4);
        var qkvParts = split.unbind(0);
        // LibTorch picks a fused (flash / memory-efficient) kernel with its own backward;
        // the default scale is 1/sqrt(head_dim), as in timm.
        using var attended = nn.functional.scaled_dot_product_attention(qkvParts[0], qkvParts[1], qkvParts[2]);
        foreach (var part in qkvParts) part.Dispose();
        using var merged = attended.transpose(1, 2).reshape(b, n, c);
        return proj.call(merged);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x) => graph.Attention(qkv, proj, numHeads, x);

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            qkv.Dispose();
            proj.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>fc1 -> exact GELU -> fc2.</summary>
public sealed class Mlp : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;

    public Mlp(int dim, int hidden) : base(nameof(Mlp))
    {
        fc1 = Linear(dim, hidden);
        act = GELU();
        fc2 = Linear(hidden, dim);
        RegisterComponents();
    }

    /// <summary>The hidden layer; its output is the GELU input that sparsity diagnostics read.</summary>
    public Linear Fc1 => fc1;
    public Linear Fc2 => fc2;

    public override Tensor forward(Tensor x)
    {
        using var h = fc1.call(x);
        using var a = act.call(h);
        return fc2.call(a);
    }

    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x) => ExportOnnx(graph, x, 1);

    /// <summary>The MLP times <paramref name="scale"/>, folded into fc2's weights and bias.</summary>
    internal OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x, double scale)
    {
        var h = graph.Call(act, graph.Call(fc1, x, "fc1"), "act");
        return graph.Within("fc2", () => graph.Linear(fc2, h, scale));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            fc1.Dispose();
            act.Dispose();
            fc2.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// Pre-norm transformer block whose MLP sub-block is h+ = residual_scale * h' + mlp_alpha * MLP(LN2(h')),
/// both fixed buffers (1 and 1: the plain block).
/// </summary>
public sealed class Block : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    // A persistent buffer rather than a C# double: checkpoints carry the reweighting with the
    // weights, and it follows the model across devices. Shape [1] broadcasts over tokens.
    private readonly Tensor mlp_alpha;
    private readonly Tensor residual_scale;

    public Block(int dim, int numHeads, int mlpHidden) : base(nameof(Block))
    {
        norm1 = LayerNorm(dim, eps: 1e-6);
        attn = new Attention(dim, numHeads);
        norm2 = LayerNorm(dim, eps: 1e-6);
        mlp = new Mlp(dim, mlpHidden);
        mlp_alpha = ones(1).DetachFromDisposeScope();
        residual_scale = ones(1).DetachFromDisposeScope();
        RegisterComponents();
    }

    public LayerNorm Norm1 => norm1;
    public Attention Attn => attn;
    public LayerNorm Norm2 => norm2;
    public Mlp MlpBranch => mlp;

    /// <summary>The MLP branch weight; reading it copies one value from the buffer.</summary>
    public double MlpAlpha {
        get => mlp_alpha.item<float>();
        set {
            using var _ = no_grad();
            mlp_alpha.fill_(value);
        }
    }

    /// <summary>The weight of h' in the MLP sub-block (1 = the plain residual).</summary>
    public double ResidualScale {
        get => residual_scale.item<float>();
        set {
            using var _ = no_grad();
            residual_scale.fill_(value);
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var normed1 = norm1.call(x);
        using var attended = attn.call(normed1);
        using var afterAttn = x.add(attended);
        using var normed2 = norm2.call(afterAttn);
        using var mlpOut = mlp.call(normed2);
        // One fused kernel for h' + alpha * mlp; alpha = 0 adds exact zeros and alpha = 1 multiplies
        // exactly, so both ends reproduce pruning and the plain block bit for bit.
        // Always multiplied rather than skipped at 1: a flag would go stale when a state dict
        // loads the buffer, and x * 1 is exact, so the plain block is still reproduced bit for bit.
        using var skip = afterAttn.mul(residual_scale);
        return skip.addcmul(mlp_alpha, mlpOut, 1);
    }

    /// <summary>The block with its reweighting folded in: alpha scales fc2's weights and bias, the residual scale is one Mul (none at 1).</summary>
    public OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue x)
    {
        var h = graph.Add(x, graph.Call(attn, graph.Call(norm1, x, "norm1"), "attn"));
        var normed = graph.Call(norm2, h, "norm2");
        var mlpOut = graph.Within("mlp", () => mlp.ExportOnnx(graph, normed, MlpAlpha));
        return graph.Add(graph.Scale(h, ResidualScale), mlpOut);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) {
            norm1.Dispose();
            attn.Dispose();
            norm2.Dispose();
            mlp.Dispose();
            mlp_alpha.Dispose();
            residual_scale.Dispose();
        }
        base.Dispose(disposing);
    }
}
