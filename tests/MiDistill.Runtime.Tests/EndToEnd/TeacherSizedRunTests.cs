using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Training;
using SkiaSharp;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// folder_teacher_size.distill: a JPEG folder streamed by background workers, random-resized-cropped
/// to the teacher's 28 per batch, the student fed the same batches at 12.
/// </summary>
public sealed class TeacherSizedRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-teacher-size-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    // Classes differ in colour; 30x30 JPEGs of noisy colour, resized to 24 when decoded.
    private string WriteFolder()
    {
        var colours = new[] { (200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40) };
        var random = new Random(7);
        foreach (var (split, count) in new[] { ("train", 10), ("test", 4) })
            for (int c = 0; c < colours.Length; c++)
            {
                var folder = Path.Combine(_root, "data", split, $"c{c}");
                Directory.CreateDirectory(folder);
                for (int i = 0; i < count; i++)
                {
                    using var bitmap = new SKBitmap(30, 30);
                    var (r, g, b) = colours[c];
                    for (int y = 0; y < 30; y++)
                        for (int x = 0; x < 30; x++)
                            bitmap.SetPixel(x, y, new SKColor((byte)(r + random.Next(-30, 30)), (byte)(g + random.Next(-30, 30)), (byte)(b + random.Next(-30, 30))));
                    using var image = SKImage.FromBitmap(bitmap);
                    File.WriteAllBytes(Path.Combine(folder, $"{i}.jpg"), image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray());
                }
            }
        return Path.Combine(_root, "data");
    }

    private RunRequest Request(string data, string name, int? workers) => new()
    {
        DataPath = data,
        OutputDirectory = Path.Combine(_root, name),
        CacheDirectory = Path.Combine(_root, name + "-cache"),
        Workers = workers,
        Output = TextWriter.Null,
    };

    [Fact]
    public void Runs_end_to_end_and_computes_the_same_with_one_worker_as_with_two()
    {
        var data = WriteFolder();
        var two = new FolderTeacherSizeRecipe().Run(Request(data, "two", workers: null));   // the recipe's workers 2
        var one = new FolderTeacherSizeRecipe().Run(Request(data, "one", workers: 1));
        var result = Assert.Single(two.Results);
        Assert.True(result.Student["acc"] >= 0.75, $"student accuracy {result.Student["acc"]:P1}");
        Assert.Equal(RunComparison.MetricLines(two.RunFolder), RunComparison.MetricLines(one.RunFolder));
        Assert.Equal(RunComparison.ResultsWithoutTime(two.RunFolder), RunComparison.ResultsWithoutTime(one.RunFolder));
    }
}
