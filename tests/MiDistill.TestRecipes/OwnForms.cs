using System;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Options;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

// A student, a distillation loss and a data source written in this project, the way a user adds
// their own: each is one record the generator reads at build time (own.distill uses all three).

namespace MiDistill.Recipes.Own;

/// <summary>One convolution, global pooling and a linear head.</summary>
[RecipeForm("tiny_conv", "One 3x3 convolution of `hidden` channels, ReLU, global average pooling, linear head.")]
public sealed record TinyConvOptions(
    [RecipeArg(Doc = "channels of the convolution", Min = 2, Max = 256)] int Hidden = 16) : StudentOptions
{
    public override Module<Tensor, Tensor> Create(int inChannels, int numClasses) => new TinyConv(inChannels, Hidden, numClasses);
}

public sealed class TinyConv : Module<Tensor, Tensor>, MiDistill.Runtime.Export.IOnnxExportable
{
    private readonly Conv2d conv;
    private readonly Linear head;

    public TinyConv(int inChannels, int hidden, int numClasses) : base(nameof(TinyConv))
    {
        conv = Conv2d(inChannels, hidden, 3, padding: 1);
        head = Linear(hidden, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var features = functional.relu(conv.call(x));
        using var pooled = features.mean(new long[] { 2, 3 });
        return head.call(pooled);
    }

    // The same forward written into an ONNX graph, so `export { onnx true }` can deploy this student (docs/deploy.md).
    public MiDistill.Runtime.Export.OnnxValue ExportOnnx(MiDistill.Runtime.Export.OnnxGraph graph, MiDistill.Runtime.Export.OnnxValue x)
    {
        var features = graph.Relu(graph.Call(conv, x, "conv"));
        return graph.Call(head, graph.Flatten(graph.GlobalAveragePool(features)), "head");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) { conv.Dispose(); head.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>A narrow ViT of a chosen depth: the project's own teacher model.</summary>
[RecipeForm("narrow_vit", "A ViT of width 32 with 2 heads and patch 7 for 28x28 grayscale images, of `depth` blocks.")]
public sealed record NarrowVitOptions(
    [RecipeArg(Doc = "transformer blocks", Min = 1, Max = 12)] int Depth = 2) : TeacherModelOptions
{
    public override string ModelName => $"narrow_vit_{Depth}";
    public override int InputSize => 28;
    public override int InputChannels => 1;
    public override MiDistill.Runtime.Models.VisionTransformer Create(int numClasses) =>
        new(new MiDistill.Runtime.Models.VitSpec(ModelName, ImageSize: 28, PatchSize: 7, InChannels: 1, EmbedDim: 32, Depth: Depth, Heads: 2, MlpRatio: 2), numClasses);
}

/// <summary>Half Hinton KD at temperature T, half label-smoothed cross-entropy.</summary>
[RecipeForm("smoothed_kd", "0.5 T^2 KL(softmax(t/T) || softmax(s/T)) + 0.5 label-smoothed CE(y, s).")]
public sealed record SmoothedKdOptions(
    [RecipeArg(Doc = "label smoothing of the cross-entropy term", Min = 0, Max = 0.5)] double Smoothing = 0.1,
    [RecipeArg(Doc = "softening temperature T", Min = 0, MinExclusive = true, Max = 100)] double Temperature = 2) : DistillLossOptions
{
    public override Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor targets)
    {
        var soft = KnowledgeDistillationLoss.Compute(studentLogits, teacherLogits, null, Temperature, 1.0);
        return soft * 0.5 + functional.cross_entropy(studentLogits, targets, label_smoothing: Smoothing) * 0.5;
    }
}

/// <summary>Synthetic stripes: class 0 horizontal, 1 vertical, 2 diagonal, 3 anti-diagonal, with noise.</summary>
[RecipeForm("stripes", "Synthetic grayscale stripes of four orientations (horizontal, vertical, diagonal, anti-diagonal) with pixel noise; `path` is not read.")]
[DataSourceFacts(Title = "Stripes", Classes = 4, TrainImagesPerClass = 48, TestImagesPerClass = 16)]
public sealed record StripesSource(
    [RecipeArg(Doc = "image side in pixels", Min = 8, Max = 64)] int Size = 28,
    [RecipeArg(Doc = "seed of the noise", Min = 0)] int Seed = 0) : DataSourceOptions
{
    public override LoadedData Load(string path) =>
        new(Split(48, Seed), Split(16, Seed + 1), new[] { "horizontal", "vertical", "diagonal", "anti-diagonal" });

    private ImageSet Split(int perClass, int seed)
    {
        var random = new Random(seed);
        int count = 4 * perClass, plane = Size * Size;
        var pixels = new byte[count * plane];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = labels[i] = i % 4, phase = random.Next(4);
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                {
                    int along = c switch { 0 => y, 1 => x, 2 => x + y, _ => x - y + Size };
                    bool on = ((along + phase) / 2) % 2 == 0;
                    pixels[i * plane + y * Size + x] = (byte)Math.Clamp((on ? 200 : 50) + random.Next(-40, 41), 0, 255);
                }
        }
        return new ImageSet(pixels, labels, numClasses: 4, channels: 1, height: Size, width: Size);
    }
}
