using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// The open runtime end to end: forms written in the recipes project (a student, a loss, a data
/// source: MiDistill.TestRecipes/OwnForms.cs) run through a recipe; RGB data normalised with its own
/// statistics; the pretrained-teacher cache keyed by the images, not the path.
/// </summary>
public sealed class OwnFormsRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-own-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private RunRequest Request(string? data = null, string cache = "cache") => new()
    {
        DataPath = data,
        OutputDirectory = Path.Combine(_root, "runs"),
        CacheDirectory = Path.Combine(_root, cache),
        Output = TextWriter.Null,
    };

    [Fact]
    public void A_recipe_runs_the_projects_own_teacher_student_loss_and_data_source_and_learns()
    {
        var report = new OwnRecipe().Run(Request());
        var result = Assert.Single(report.Results);
        // Diagonal against anti-diagonal stripes, 16 test images each: chance is 50%.
        Assert.True(result.Student["acc"] >= 0.8, $"student accuracy {result.Student["acc"]:P1}");
        var settings = File.ReadAllText(Path.Combine(report.RunFolder, "settings.json"));
        Assert.Contains("\"kind\": \"StripesSource\"", settings);
        Assert.Contains("\"kind\": \"NarrowVitOptions\"", settings);
        Assert.Contains("\"kind\": \"TinyConvOptions\"", settings);
        Assert.Contains("\"kind\": \"SmoothedKdOptions\"", settings);
    }

    // Two classes of the same brightness: red-on-green against green-on-red noise. Only colour tells them apart.
    private string WriteColourFolder(string name, int seed)
    {
        var random = new Random(seed);
        foreach (var (split, perClass) in new[] { ("train", 16), ("test", 8) })
            foreach (var (cls, red) in new[] { ("a", true), ("b", false), ("c", true), ("d", false) })
            {
                var folder = Path.Combine(_root, name, split, cls);
                Directory.CreateDirectory(folder);
                for (int i = 0; i < perClass; i++)
                {
                    using var bitmap = new SKBitmap(16, 16);
                    for (int y = 0; y < 16; y++)
                        for (int x = 0; x < 16; x++)
                        {
                            byte hi = (byte)random.Next(150, 230), lo = (byte)random.Next(20, 100), blue = (byte)random.Next(40, 81);
                            bitmap.SetPixel(x, y, red ? new SKColor(hi, lo, blue) : new SKColor(lo, hi, blue));
                        }
                    using var image = SKImage.FromBitmap(bitmap);
                    using var png = image.Encode(SKEncodedImageFormat.Png, 100);
                    File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), png.ToArray());
                }
            }
        return Path.Combine(_root, name);
    }

    [Fact]
    public void Rgb_batches_are_normalised_with_the_data_sets_own_statistics()
    {
        var root = WriteColourFolder("colour", 1);
        var loaded = new ImageFolderSource(16, ColorMode.Rgb).Load(root);
        var data = DataSplits.Build(loaded.Train, loaded.Test, OwnData().Splits(new PretrainOptions
        {
            Classes = new[] { 0, 1 }, Epochs = 1, BatchSize = 8, Optimizer = new SgdOptions(), Schedule = new ConstantLr(), MaxImages = 0, Seed = 0,
        }));
        using var scope = NewDisposeScope();
        // Statistics of the whole training split; the downstream classes alone are close to them.
        var (images, _) = loaded.Train.ToTensors(Enumerable.Range(0, loaded.Train.Count).ToArray());
        var mean = images.mean(new long[] { 0, 2, 3 }).data<float>().ToArray();
        var std = images.std(new long[] { 0, 2, 3 }).data<float>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.InRange(mean[c], -0.01f, 0.01f);
            Assert.InRange(std[c], 0.99f, 1.01f);
        }
        // By hand: red and green are uniform on 150..229 in half the images and on 20..99 in the
        // other half, so their mean is (189.5 + 59.5) / 2 / 255; blue is uniform on 40..80.
        Assert.Equal(124.5 / 255, loaded.Train.Statistics.Mean[0], 0.01);
        Assert.Equal(124.5 / 255, loaded.Train.Statistics.Mean[1], 0.01);
        Assert.Equal(60.0 / 255, loaded.Train.Statistics.Mean[2], 0.01);
        Assert.Same(loaded.Train.Statistics, data.Test.Statistics);
    }

    private static DataOptions OwnData() => new()
    {
        Source = new ImageFolderSource(16, ColorMode.Rgb), Path = "", Classes = new[] { 2, 3 }, Regime = new FullRegime(),
        ValidationFraction = 0, MaxTestImages = 0, Seed = 0,
    };

    [Fact]
    public void Classes_that_differ_only_in_colour_are_learned_from_rgb()
    {
        var report = new FolderRgbRecipe().Run(Request(WriteColourFolder("colour", 2)));
        var result = Assert.Single(report.Results);
        Assert.True(result.Student["acc"] >= 0.9, $"student accuracy {result.Student["acc"]:P1}");
    }

    [Fact]
    public void The_teacher_cache_is_keyed_by_the_images_not_the_path()
    {
        var first = WriteColourFolder("first", 3);
        var other = WriteColourFolder("other", 4);   // same layout, other pixels
        var copy = Path.Combine(_root, "copy");       // the first folder's images under another path
        CopyFolder(first, copy);
        string Teachers() => string.Join(",", Directory.GetFiles(Path.Combine(_root, "cache", "teachers"), "*.safetensors").Select(Path.GetFileName).Order());

        new FolderRgbRecipe().Run(Request(first));
        var afterFirst = Teachers();
        new FolderRgbRecipe().Run(Request(copy));
        Assert.Equal(afterFirst, Teachers());
        new FolderRgbRecipe().Run(Request(other));
        Assert.Equal(2, Teachers().Split(',').Length);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>The labels-only baseline is a variant of its own: no teacher is fine-tuned or evaluated for it.</summary>
public sealed class LabelsOnlyBaselineTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-baseline-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_labels_only_variant_skips_the_teacher_and_leaves_its_columns_empty()
    {
        var log = new StringWriter();
        var report = new BaselineRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = log,
        });
        Assert.Contains("[labels/seed0] no teacher: the loss uses labels only", log.ToString());
        Assert.DoesNotContain("[finetune/labels]", log.ToString());
        Assert.All(report.Results.Where(r => r.Variant == "labels"), r => Assert.Empty(r.Teacher));
        Assert.All(report.Results.Where(r => r.Variant == "kd"), r => Assert.NotEmpty(r.Teacher));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(report.RunFolder, "checkpoints")), f => Path.GetFileName(f).StartsWith("labels-seed0-teacher", StringComparison.Ordinal));

        // results.csv: the labels row has empty teacher cells; the paired table compares students only.
        var csv = File.ReadAllLines(Path.Combine(report.RunFolder, "results.csv"));
        var header = csv[0].Split(',');
        var labels = csv.Single(l => l.StartsWith("labels,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("", labels[Array.IndexOf(header, "teacher acc")]);
        Assert.NotEqual("", labels[Array.IndexOf(header, "student acc")]);
        var paired = File.ReadAllLines(Path.Combine(report.RunFolder, "results-paired.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(new[] { "student acc", "student bal acc" }, paired.Select(p => p[2]));
        Assert.All(paired, p => Assert.Equal(("labels", "kd", "2"), (p[0], p[1], p[3])));
        // ... and draws them as a forest plot.
        var png = File.ReadAllBytes(Path.Combine(report.RunFolder, "results-paired.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.Take(4));
    }

    [Fact]
    public void One_seed_alone_computes_what_it_computes_among_all_seeds()
    {
        RunRequest Request(string name, int? seed = null) => new()
        {
            OutputDirectory = Path.Combine(_root, name),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
            Seed = seed,
        };
        var all = new BaselineRecipe().Run(Request("all"));
        var one = new BaselineRecipe().Run(Request("one", seed: 1));
        Assert.Equal(new[] { ("labels", 1), ("kd", 1) }, one.Results.Select(r => (r.Variant, r.Seed)));
        foreach (var result in one.Results)
            Assert.Equal(all.Results.Single(r => r.Variant == result.Variant && r.Seed == 1).Student, result.Student);
        Assert.EndsWith("-all-seed1", one.RunFolder);
        var e = Assert.Throws<ArgumentException>(() => new BaselineRecipe().Run(Request("bad", seed: 5)));
        Assert.Contains("--seed 5 is not a seed of variant `labels`; its seeds (run.seed) are [0, 1]", e.Message);
    }

    [Fact]
    public void A_transfer_set_adds_unlabeled_images_the_teacher_labels_for_the_student()
    {
        var kd = BaselineRecipe.Settings.Kd;
        var options = kd with { Distill = kd.Distill with { Transfer = 20 }, Run = kd.Run with { Seeds = new[] { 0 } } };
        var log = new StringWriter();
        var report = Experiment.Run(options, new RunRequest { OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache"), Output = log });
        Assert.Contains("[kd/seed0] data: 40 train, 10 validation, 200 test images of classes [5, 6, 7, 8, 9], 100 unlabeled for distillation", log.ToString());
        Assert.Contains("[distill/kd] transfer set: 100 unlabeled images, labelled by the teacher", log.ToString());
        var result = Assert.Single(report.Results);
        SavedModelScore.Equal(SavedModelScore.Student(report.RunFolder, options, result.Seed, SavedModelScore.Data(options, replicate: 0)), result.Student, "the student");
    }
}
