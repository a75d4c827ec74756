using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;
using SkiaSharp;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// The teacher-output cache in whole runs of `cached.distill`: which units share an entry, a damaged
/// entry, two processes filling one entry, and a kill during the fill.
/// </summary>
public sealed class TeacherOutputCacheRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-tcache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private (ExperimentReport Report, string Log) Run(string name, string cache, string[] variants, int? seed = 7)
    {
        var log = new StringWriter();
        var report = new CachedRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, name),
            CacheDirectory = Path.Combine(_root, cache),
            Variants = variants,
            Seed = seed,
            Output = log,
        });
        return (report, log.ToString());
    }

    private string[] Entries(string cache) =>
        Directory.GetFiles(Path.Combine(_root, cache, "teacher-outputs"), "*.tcache").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static string[] Lines(string log, string start) =>
        log.Split('\n').Where(l => l.StartsWith(start, StringComparison.Ordinal)).Select(l => l.TrimEnd()).ToArray();

    // The lines a unit trains: the pretraining lines come from the pretrained-teacher cache's entry, written once per cache.
    private static List<string> Trained(string folder) =>
        RunComparison.MetricLines(folder).Where(l => !l.StartsWith("stage=\"pretrain\"", StringComparison.Ordinal)).ToList();

    [Fact]
    public void The_same_teacher_data_augmentation_and_seed_reuse_an_entry_and_any_other_makes_a_new_one()
    {
        var (_, log) = Run("keys", "cache", new[] { "base", "longer", "flip_only", "teacher2", "data4" });
        // base fills; longer distils from the same teacher, images and views and reuses it; another
        // augmentation, teacher or data each fill their own.
        Assert.Equal(4, Lines(log, "[teacher-cache] filled ").Length);
        var used = Assert.Single(Lines(log, "[teacher-cache] using "));
        var filled = Lines(log, "[teacher-cache] filled ");
        Assert.StartsWith($"[teacher-cache] using {filled[0]["[teacher-cache] filled ".Length..].Split(' ')[0]}: ", used);
        Assert.Equal(4, Entries("cache").Length);
        Assert.Contains("4.2 KiB on disk and in memory (images x views x (4 + top_k x (2 + 2) + 4) bytes)", filled[0]);
        Assert.Contains("images x 3 views, 3 of 5 logits (fp16)", filled[0]);

        // Another run: base reuses its entry; another seed makes a new one.
        var (_, again) = Run("keys-again", "cache", new[] { "base" });
        Assert.Empty(Lines(again, "[teacher-cache] filled "));
        Assert.Single(Lines(again, "[teacher-cache] using "));
        var (_, seed8) = Run("keys-seed8", "cache", new[] { "base" }, seed: 8);
        Assert.Single(Lines(seed8, "[teacher-cache] filled "));
        Assert.Equal(5, Entries("cache").Length);
    }

    [Fact]
    public void A_damaged_entry_is_an_error_naming_the_file_and_is_filled_again_to_the_same_numbers()
    {
        var (first, _) = Run("first", "cache", new[] { "base" });
        var entry = Path.Combine(_root, "cache", "teacher-outputs", Assert.Single(Entries("cache")));
        var sound = File.ReadAllBytes(entry);
        var bytes = (byte[])sound.Clone();
        bytes[bytes.Length / 2] ^= 0x04;
        File.WriteAllBytes(entry, bytes);

        var (second, log) = Run("second", "cache", new[] { "base" });
        Assert.Contains($"[teacher-cache] error: teacher-output cache {entry}: damaged: its SHA-256 does not match its content; filling it again", log);
        Assert.Single(Lines(log, "[teacher-cache] filled "));
        Assert.Equal(sound, File.ReadAllBytes(entry));
        Assert.Equal(Trained(first.RunFolder), Trained(second.RunFolder));
        Assert.Equal(RunComparison.ResultsWithoutTime(first.RunFolder), RunComparison.ResultsWithoutTime(second.RunFolder));
    }

    [Fact]
    public void A_cached_run_is_reproducible_and_its_plan_holds_the_cache_step()
    {
        // The fill says what it fills; a second run reads the entry and gives the same lines.
        var (cached, log) = Run("cached", "cache", new[] { "base" });
        Assert.Contains("[teacher-cache] filling: the teacher on 3 views of ", log);
        var (again, _) = Run("cached-again", "cache", new[] { "base" });
        Assert.Equal(Trained(cached.RunFolder), Trained(again.RunFolder));
        Assert.Contains("teacher-cache", string.Join(" ", new CachedRecipe().Plan().Steps.Select(s => s.Name)));
    }

    [Fact]
    public void Two_processes_filling_one_entry_take_turns_one_fills_and_the_other_uses_it()
    {
        var go = Path.Combine(_root, "go");
        var cache = Path.Combine(_root, "shared");
        using var first = ChildRun.Start(new[] { "run", "cached", "--variant", "base", "--seed", "7", "--output", Path.Combine(_root, "a"), "--cache", cache },
            new Dictionary<string, string> { ["MIDISTILL_TEST_WAIT_IN_FILL"] = go });
        Assert.True(first.WaitForOutput("test: holding "), first.Output);
        using var second = ChildRun.Start(new[] { "run", "cached", "--variant", "base", "--seed", "7", "--output", Path.Combine(_root, "b"), "--cache", cache });
        Assert.True(second.WaitForOutput("[teacher-cache] waiting for "), second.Output);
        File.WriteAllText(go, "");
        var (codeA, outA, errA) = first.Wait();
        var (codeB, outB, errB) = second.Wait();
        Assert.True(codeA == 0, outA + errA);
        Assert.True(codeB == 0, outB + errB);
        Assert.Single(Lines(outA, "[teacher-cache] filled "));
        Assert.Empty(Lines(outB, "[teacher-cache] filled "));
        Assert.Single(Lines(outB, "[teacher-cache] using "));
        Assert.Single(Directory.GetFiles(Path.Combine(cache, "teacher-outputs"), "*.tcache"));
        string Folder(string name) => Directory.GetDirectories(Path.Combine(_root, name, "cached")).Single();
        Assert.Equal(Trained(Folder("a")), Trained(Folder("b")));
    }

    [Fact]
    public void Killed_during_the_fill_the_resumed_run_gives_the_uninterrupted_runs_numbers()
    {
        var (reference, _) = Run("reference", "cache-reference", new[] { "base" });
        var runs = Path.Combine(_root, "killed");
        var cache = Path.Combine(_root, "cache-killed");
        using (var child = ChildRun.Start(new[] { "run", "cached", "--variant", "base", "--seed", "7", "--output", runs, "--cache", cache },
            new Dictionary<string, string> { ["MIDISTILL_TEST_KILL_BEFORE_RENAME"] = "1:.tcache" }))
        {
            var (code, output, error) = child.Wait();
            Assert.True(code != 0, $"the run was not killed:\n{output}\n{error}");
            Assert.Contains("test: killed before renaming", error);
        }
        // The whole temporary file was written, but never renamed: no entry, so the resumed run fills it.
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "teacher-outputs"), "*.tcache"));
        var folder = Directory.GetDirectories(Path.Combine(runs, "cached")).Single();
        var log = new StringWriter();
        new CachedRecipe().Resume(folder, new RunRequest { Output = log, CacheDirectory = cache, Seed = 7 });
        Assert.Single(Lines(log.ToString(), "[teacher-cache] filled "));
        Assert.Equal(RunComparison.MetricLines(reference.RunFolder), RunComparison.MetricLines(folder));
        Assert.Equal(RunComparison.ResultsWithoutTime(reference.RunFolder), RunComparison.ResultsWithoutTime(folder));
    }

    [Fact]
    public void An_image_folder_streamed_by_the_workers_distils_from_the_cache_with_the_same_numbers_whatever_the_worker_count()
    {
        var data = Path.Combine(_root, "data");
        var random = new Random(5);
        foreach (var (split, perClass) in new[] { ("train", 12), ("test", 4) })
            foreach (var (name, shade) in new[] { ("a", 40), ("b", 100), ("c", 160), ("d", 220) })
            {
                var folder = Path.Combine(data, split, name);
                Directory.CreateDirectory(folder);
                for (int i = 0; i < perClass; i++)
                {
                    using var bitmap = new SKBitmap(20, 20);
                    for (int y = 0; y < 20; y++)
                        for (int x = 0; x < 20; x++)
                        {
                            byte v = (byte)Math.Clamp(shade + random.Next(-30, 30) + x, 0, 255);
                            bitmap.SetPixel(x, y, new SKColor(v, v, v));
                        }
                    using var image = SKImage.FromBitmap(bitmap);
                    using var png = image.Encode(SKEncodedImageFormat.Png, 100);
                    File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), png.ToArray());
                }
            }
        var folders = new List<string>();
        foreach (var workers in new[] { 0, 2 })
        {
            var log = new StringWriter();
            folders.Add(new FolderCachedRecipe().Run(new RunRequest
            {
                DataPath = data,
                OutputDirectory = Path.Combine(_root, $"runs{workers}"),
                CacheDirectory = Path.Combine(_root, $"cache{workers}"),
                Workers = workers,
                Output = log,
            }).RunFolder);
            Assert.Single(Lines(log.ToString(), "[teacher-cache] filled "));
        }
        Assert.Equal(Trained(folders[0]), Trained(folders[1]));
        Assert.Equal(File.ReadAllBytes(Directory.GetFiles(Path.Combine(_root, "cache0", "teacher-outputs"), "*.tcache").Single()),
            File.ReadAllBytes(Directory.GetFiles(Path.Combine(_root, "cache2", "teacher-outputs"), "*.tcache").Single()));
    }
}
