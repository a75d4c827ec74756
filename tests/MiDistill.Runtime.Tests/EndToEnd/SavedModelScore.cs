using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// The test accuracy of a run's saved teacher or student, recomputed here from its weights file and
/// the replicate's test split, without the runtime's evaluator, batch stream or metrics: pixels
/// normalised per channel with the split's statistics, resized and re-normalised as docs/models.md
/// says a model's input is, argmax of the logits, then accuracy and mean per-class recall. A run's
/// reported numbers must be exactly these: the number is the model's, not just some fraction.
/// </summary>
internal static class SavedModelScore
{
    public sealed record Score(double Acc, double BalAcc)
    {
        public override string ToString() => $"acc {Acc:R}, bal acc {BalAcc:R}";
    }

    /// <summary>The data of replicate <paramref name="replicate"/> of <paramref name="variant"/> as the run drew it (its data seed).</summary>
    public static ExperimentData Data(ExperimentOptions variant, int replicate, string? dataPath = null)
    {
        var options = RunPlan.Replicates(variant).ElementAt(replicate).Options;
        if (dataPath is not null) options = options with { Data = options.Data with { Path = dataPath } };
        var loaded = options.Data.Source.Load(options.Data.Path);
        return DataSplits.Build(loaded.Train, loaded.Test, options.Data.Splits(Stages.Upstream(options), options.Distill.Transfer));
    }

    /// <summary>The saved student of (variant, seed) on the test split.</summary>
    public static Score Student(string runFolder, ExperimentOptions variant, int seed, ExperimentData data)
    {
        var student = variant.Distill.Student;
        using var model = student.Create(student.InputChannels(data.Train.Channels), data.DownstreamClasses.Count);
        ModelFile.Load(model, Path.Combine(runFolder, "checkpoints", $"{variant.Variant}-seed{seed}-student.safetensors"), "(test)");
        int size = variant.Distill.StudentInputSize > 0 ? variant.Distill.StudentInputSize : data.Train.Height;
        return Of(model, data.Test, size, student.InputChannels(data.Train.Channels), null);
    }

    /// <summary>The saved (fine-tuned, kept) teacher of (variant, seed) on the test split.</summary>
    public static Score Teacher(string runFolder, ExperimentOptions variant, int seed, ExperimentData data)
    {
        using var model = variant.Teacher.Model.Create(data.DownstreamClasses.Count);
        ModelFile.Load(model, Path.Combine(runFolder, "checkpoints", $"{variant.Variant}-seed{seed}-teacher.safetensors"), "(test)");
        var normalize = (variant.Teacher.Weights as CheckpointWeights)?.Normalize ?? Normalization.Dataset;
        return Of(model, data.Test, variant.Teacher.Model.InputSize, variant.Teacher.Model.InputChannels, normalize);
    }

    private static Score Of(nn.Module<Tensor, Tensor> model, ImageSet set, int size, int channels, Normalization? checkpoint)
    {
        var pixels = set.ReadPixels();
        int c = set.Channels, h = set.Height, w = set.Width, image = c * h * w;
        var mean = set.Statistics.Mean;
        var std = set.Statistics.Std;
        var predictions = new int[set.Count];
        model.eval();
        using var _ = no_grad();
        // In batches of 256 in set order, as a run evaluates, so every product sums in the same order.
        for (int start = 0; start < set.Count; start += 256)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(256, set.Count - start);
            var values = new float[n * image];
            for (int i = 0; i < n * image; i++)
            {
                int channel = i % image / (h * w);
                values[i] = (pixels[(long)start * image + i] / 255f - mean[channel]) / std[channel];
            }
            var x = tensor(values, new long[] { n, c, h, w });
            if (h != size || w != size)
                x = nn.functional.interpolate(x, new long[] { size, size }, mode: InterpolationMode.Bilinear, align_corners: false, antialias: h > size || w > size);
            if (checkpoint is Normalization target && target != Normalization.Dataset)
            {
                // Back to [0, 1] pixels, then the normalisation the checkpoint was trained with (timm's inception: 0.5, 0.5).
                x = x.mul(tensor(std.ToArray()).reshape(1, -1, 1, 1)).add_(tensor(mean.ToArray()).reshape(1, -1, 1, 1));
                if (c == 1 && channels == 3) x = x.expand(-1, 3, -1, -1);
                Assert.Equal(Normalization.Inception, target);
                x = x.sub(tensor(new[] { 0.5f, 0.5f, 0.5f }[..(int)x.shape[1]]).reshape(1, -1, 1, 1)).div_(tensor(new[] { 0.5f, 0.5f, 0.5f }[..(int)x.shape[1]]).reshape(1, -1, 1, 1));
            }
            else if (c == 1 && channels == 3) x = x.expand(-1, 3, -1, -1);
            var predicted = model.call(x).argmax(1).data<long>().ToArray();
            for (int i = 0; i < n; i++) predictions[start + i] = (int)predicted[i];
        }
        var labels = set.Labels;
        double acc = (double)Enumerable.Range(0, labels.Length).Count(i => predictions[i] == labels[i]) / labels.Length;
        var recalls = new List<double>();
        for (int k = 0; k < set.NumClasses; k++)
        {
            var of = Enumerable.Range(0, labels.Length).Where(i => labels[i] == k).ToList();
            if (of.Count > 0) recalls.Add((double)of.Count(i => predictions[i] == k) / of.Count);
        }
        return new Score(acc, recalls.Sum() / recalls.Count);
    }

    /// <summary>Asserts that a run reported exactly what its saved model scores.</summary>
    public static void Equal(Score recomputed, IReadOnlyDictionary<string, double> reported, string what)
    {
        Assert.True(recomputed.Acc == reported["acc"] && Math.Abs(recomputed.BalAcc - reported["bal acc"]) < 1e-12,
            $"the run reported {what} acc {reported["acc"]:R}, bal acc {reported["bal acc"]:R}; its saved model, scored here on the test split, gets {recomputed}");
    }
}
