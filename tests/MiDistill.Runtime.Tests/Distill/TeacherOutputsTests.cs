using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Distill;

/// <summary>The teacher-output cache's file and its replay: what it stores, what the loss reads back, and exactness against a live teacher.</summary>
public sealed class TeacherOutputsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-tcache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Top_k_keeps_the_stored_classes_probabilities_exactly_and_spreads_the_rest_evenly()
    {
        // Hand-computed: logits [3, 1, 0, -1, 2] at T = 2, top 2 = classes 0 (3) and 4 (2).
        var outputs = new TeacherOutputs(images: 1, views: 1, classes: 5, topK: 2, half: false, temperature: 2, predicted: Array.Empty<int>());
        using var logits = tensor(new float[] { 3, 1, 0, -1, 2 }, new long[] { 1, 5 });
        outputs.Store(new[] { 0 }, 0, logits);
        using var back = outputs.Logits(new[] { 0 }, new[] { 0 }, CPU);
        var p = back.div(2).softmax(1).data<float>().ToArray();
        double z = Math.Exp(1.5) + Math.Exp(0.5) + 1 + Math.Exp(-0.5) + Math.Exp(1);
        Assert.Equal(Math.Exp(1.5) / z, p[0], 6);
        Assert.Equal(Math.Exp(1.0) / z, p[4], 6);
        double rest = (Math.Exp(0.5) + 1 + Math.Exp(-0.5)) / z / 3;
        foreach (var c in new[] { 1, 2, 3 }) Assert.Equal(rest, p[c], 6);
        Assert.Equal(new float[] { 3, 2 }, new[] { back[0, 0].item<float>(), back[0, 4].item<float>() });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_written_cache_reads_back_the_same_outputs_and_a_damaged_one_is_an_error_naming_the_file(bool half)
    {
        torch.manual_seed(1);
        var outputs = new TeacherOutputs(images: 6, views: 3, classes: 7, topK: 4, half, temperature: 4, predicted: new[] { 2, 5 });
        for (int v = 0; v < 3; v++)
        {
            using var logits = randn(6, 7) * 3;
            outputs.Store(Enumerable.Range(0, 6).ToArray(), v, logits);
        }
        for (int i = 0; i < outputs.Seeds.Length; i++) outputs.Seeds[i] = 1000 + i;
        var path = Path.Combine(_root, "entry.tcache");
        outputs.Write(path, "key-a");
        Assert.Equal(outputs.Bytes + 32 + 6 + 4, new FileInfo(path).Length - HeaderLength(path));

        var back = TeacherOutputs.Read(path, "key-a");
        Assert.Equal(outputs.Seeds, back.Seeds);
        Assert.Equal(new[] { 2, 5 }, back.Predicted);
        var images = new[] { 0, 3, 5, 1 };
        var views = new[] { 2, 0, 1, 1 };
        using var a = outputs.Logits(images, views, CPU);
        using var b = back.Logits(images, views, CPU);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());

        var other = Assert.Throws<TeacherOutputsException>(() => TeacherOutputs.Read(path, "key-b"));
        Assert.Contains(path, other.Message);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var damaged = Assert.Throws<TeacherOutputsException>(() => TeacherOutputs.Read(path, "key-a"));
        Assert.Equal($"teacher-output cache {path}: damaged: its SHA-256 does not match its content", damaged.Message);
        File.WriteAllBytes(path, bytes[..40]);
        Assert.Contains(path, Assert.Throws<TeacherOutputsException>(() => TeacherOutputs.Read(path, "key-a")).Message);
    }

    private static long HeaderLength(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return BitConverter.ToInt32(bytes, 6);
    }

    /// <summary>
    /// Exactness: with every class kept in fp32, a cached epoch gives the live epoch's loss at every
    /// step (the live one runs the teacher on the very same replayed views); keeping fewer classes,
    /// or fp16, does not, which shows the comparison can fail.
    /// </summary>
    [Theory]
    [InlineData(0, false, true)]
    [InlineData(0, true, false)]
    [InlineData(2, false, false)]
    public void A_cached_epoch_gives_the_live_epochs_loss_per_step(int topK, bool half, bool exact)
    {
        torch.set_num_threads(1);
        const int classes = 4, views = 3, viewSeed = 77, stageSeed = 5;
        var pixels = new byte[24 * 8 * 8];
        new Random(3).NextBytes(pixels);
        var set = new ImageSet(pixels, Enumerable.Range(0, 24).Select(i => i % classes).ToArray(), classes, 1, 8, 8);
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new CropAugment(Padding: 2), new FlipAugment() }, classes, set.Statistics.Black());
        torch.manual_seed(11);
        using var teacher = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, classes));
        teacher.eval();
        var outputs = TeacherCache.Fill(set, Array.Empty<int>(), x => teacher.call(x), augmenter, views, viewSeed, classes,
            topK == 0 ? classes : topK, half, temperature: 2, batchSize: 5, CPU, workers: 0, TextWriter.Null);

        var cached = Epochs(set, CachedViews.Cached(outputs, augmenter, stageSeed, CPU));
        var live = Epochs(set, CachedViews.Live(set.Count, views, viewSeed, augmenter, stageSeed, CPU, x => teacher.call(x)));

        Assert.Equal(2 * 5, live.Count);
        Assert.Equal(live.Count, cached.Count);
        double worst = live.Zip(cached, (l, c) => Math.Abs(l - c)).Max();
        if (exact) Assert.True(worst <= 1e-6, $"largest difference {worst}");
        else Assert.True(worst > 1e-6, $"largest difference {worst}: the comparison cannot tell fewer classes or fp16 apart");
    }

    // Two epochs of a fresh student (same seed) on the replayed views; the loss of every step.
    private List<double> Epochs(ImageSet set, CachedViews views)
    {
        torch.manual_seed(21);
        using var student = nn.Sequential(nn.Flatten(), nn.Linear(64, 4));
        using var optimizer = optim.SGD(student.parameters(), 0.1);
        using var folder = RunFolder.Create(_root, "exact-" + Guid.NewGuid().ToString("N"), "all", "recipe exact {}", "[]");
        var context = new RunContext(CPU, TextWriter.Null, folder, new ExperimentHooks());
        var loss = Stages.CachedLoss(new KdLossOptions(Temperature: 2, Weight: 0.5), views, x => student.call(x), new InputAdapter(8, 1) { DataStatistics = set.Statistics });
        var losses = new List<double>();
        new Trainer(context).Fit(new FitSpec
        {
            Stage = "distill",
            Variant = "exact",
            Model = student,
            Optimizer = optimizer,
            BaseLearningRate = 0.1,
            Schedule = new ConstantLr(),
            Train = set,
            Epochs = 2,
            BatchSize = 5,
            Seed = 9,
            RunSeed = 1,
            Loss = (x, y) =>
            {
                var (l, logits) = loss(x, y);
                losses.Add(l.item<float>());
                return (l, logits);
            },
            PrepareBatch = views.Prepare,
        });
        return losses;
    }
}
