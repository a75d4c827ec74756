#:package SkiaSharp@3.119.0
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// Writes the image folders of the folder recipes' regression record (committed under
// tests/MiDistill.Runtime.Tests/Regression/Data/), with the generators and seeds of the end-to-end
// tests that run those recipes: ImageFolderRunTests (folder), OwnFormsRunTests'
// Classes_that_differ_only_in_colour (folder_rgb), TeacherSizedRunTests (folder_teacher_size).
// The record compares against the committed bytes; rerun this only to remake them on purpose:
//   dotnet run tools/regression/make-image-folders.cs -- tests/MiDistill.Runtime.Tests/Regression/Data
using System;
using System.IO;
using SkiaSharp;

var root = args.Length > 0 ? args[0] : throw new ArgumentException("usage: make-image-folders.cs <output folder>");

// folder.distill: grey squares of four shades, 20x20 PNG, 12 train and 4 test per class.
foreach (var (split, perClass) in new[] { ("train", 12), ("test", 4) })
{
    var random = new Random(split.Length);
    foreach (var (name, shade) in new[] { ("a", 40), ("b", 100), ("c", 160), ("d", 220) })
    {
        var folder = Path.Combine(root, "folder", split, name);
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

// folder_rgb.distill: red-on-green against green-on-red noise, 16x16 PNG, 16 train and 8 test per class (seed 2).
{
    var random = new Random(2);
    foreach (var (split, perClass) in new[] { ("train", 16), ("test", 8) })
        foreach (var (cls, red) in new[] { ("a", true), ("b", false), ("c", true), ("d", false) })
        {
            var folder = Path.Combine(root, "folder_rgb", split, cls);
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
}

// folder_teacher_size.distill: noisy colours, 30x30 JPEG (quality 90), 10 train and 4 test per class (seed 7).
{
    var colours = new[] { (200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40) };
    var random = new Random(7);
    foreach (var (split, count) in new[] { ("train", 10), ("test", 4) })
        for (int c = 0; c < colours.Length; c++)
        {
            var folder = Path.Combine(root, "folder_teacher_size", split, $"c{c}");
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
}
Console.WriteLine($"wrote folder, folder_rgb, folder_teacher_size under {root}");
