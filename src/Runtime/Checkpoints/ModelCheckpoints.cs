using System;
using MiDistill.Runtime.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>The load rules of each architecture: its head keys, the keys checkpoints may lack, adaptations.</summary>
public static class ModelCheckpoints
{
    public static LoadRules RulesFor(nn.Module model) => model switch
    {
        VisionTransformer => new LoadRules
        {
            IsHead = k => k.StartsWith("head.", StringComparison.Ordinal),
            // The ReMem reweighting is ours: timm checkpoints never carry it, and it starts at 1.
            MayBeMissing = k => k.EndsWith(".mlp_alpha", StringComparison.Ordinal),
            Adapt = (key, found, expected) => key == "pos_embed" && found.dim() == 3 && found.shape[2] == expected[2]
                ? PosEmbed.Resample(found, (int)Math.Round(Math.Sqrt(expected[1] - 1)))
                : null,
        },
        ResNet => Cnn("fc."),
        MobileNetV2 => Cnn("classifier."),
        EfficientNetV2 => Cnn("classifier."),
        SmallCnn => Cnn("head."),
        _ => LoadRules.Strict,
    };

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/> with its architecture's rules.</summary>
    public static LoadReport Load(nn.Module model, string path)
    {
        var report = CheckpointLoader.Load(model, path, RulesFor(model));
        if (model is VisionTransformer vit)
        {
            // Loading must not carry over a reweighting; the fine-tuning schedule sets it.
            var ones = new double[vit.Depth];
            Array.Fill(ones, 1.0);
            vit.SetMlpAlphas(ones);
        }
        return report;
    }

    // BatchNorm's step counter is bookkeeping some exporters drop.
    private static LoadRules Cnn(string head) => new()
    {
        IsHead = k => k.StartsWith(head, StringComparison.Ordinal),
        MayBeMissing = k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal),
    };
}
