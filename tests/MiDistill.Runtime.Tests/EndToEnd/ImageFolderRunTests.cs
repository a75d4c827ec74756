using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;
using SkiaSharp;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>A recipe over a folder of PNGs runs through every stage, images resized for the teacher.</summary>
public sealed class ImageFolderRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-folder-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private void WriteImages(string split, int perClass)
    {
        var random = new Random(split.Length);
        foreach (var (name, shade) in new[] { ("a", 40), ("b", 100), ("c", 160), ("d", 220) })
        {
            var folder = Path.Combine(_root, "data", split, name);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(20, 20);
                for (int y = 0; y < 20; y++)
                    for (int x = 0; x < 20; x++)
                    {
                        byte v = (byte)Math.Clamp(shade + random.Next(-30, 30), 0, 255);
                        bitmap.SetPixel(x, y, new SKColor(v, v, v));
                    }
                using var image = SKImage.FromBitmap(bitmap);
                using var png = image.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, $"{i}.png"), png.ToArray());
            }
        }
    }

    [Fact]
    public void Image_folder_recipe_runs_end_to_end()
    {
        WriteImages("train", 12);
        WriteImages("test", 4);
        var report = new FolderRecipe().Run(new RunRequest
        {
            DataPath = Path.Combine(_root, "data"),
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        var result = Assert.Single(report.Results);
        // One epoch on 12 images per class; the numbers are those the saved models score on the 8 test images.
        var variant = FolderRecipe.Settings.Default;
        var data = SavedModelScore.Data(variant, replicate: 0, dataPath: Path.Combine(_root, "data"));
        Assert.Equal(8, data.Test.Count);
        SavedModelScore.Equal(SavedModelScore.Teacher(report.RunFolder, variant, result.Seed, data), result.Teacher, "the teacher");
        SavedModelScore.Equal(SavedModelScore.Student(report.RunFolder, variant, result.Seed, data), result.Student, "the student");
        // Classes c and d, 4 test images each.
        var evaluate = File.ReadAllLines(Path.Combine(report.RunFolder, "metrics.jsonl")).Last();
        Assert.Contains("\"stage\":\"evaluate\"", evaluate);
    }
}
