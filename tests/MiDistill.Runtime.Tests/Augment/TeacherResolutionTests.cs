using System;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Augment;

/// <summary>Resize with a declared interpolation, random-resized-crop and teacher/student inputs of other sizes, checked by hand.</summary>
public sealed class TeacherResolutionTests : IDisposable
{
    static TeacherResolutionTests() => torch.set_num_threads(1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-resize-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Theory]
    // A 2x2 image, black left column, white right, resized to 4x4 (half-pixel centres): output column
    // u samples x = (u + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to the edge.
    // Bilinear: 255 x (0, 0.25, 0.75, 1). Catmull-Rom (Keys a = -0.5) at t = 0.25 with the edge
    // pixel repeated: 255 x (w(0.75) + w(1.75)) = 255 x (0.2265625 - 0.0234375) = 51.8.
    [InlineData(ResizeFilter.Bilinear, new[] { 0, 64, 191, 255 })]
    [InlineData(ResizeFilter.Bicubic, new[] { 0, 52, 203, 255 })]
    public void Decoding_resizes_with_the_declared_interpolation(ResizeFilter resize, int[] expected)
    {
        Directory.CreateDirectory(_root);
        var file = Path.Combine(_root, "edge.png");
        using (var bitmap = new SKBitmap(2, 2))
        {
            bitmap.SetPixel(0, 0, SKColors.Black); bitmap.SetPixel(0, 1, SKColors.Black);
            bitmap.SetPixel(1, 0, SKColors.White); bitmap.SetPixel(1, 1, SKColors.White);
            using var image = SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(file, image.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }
        var pixels = ImageFiles.Decode(file, 4, 1, resize);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.InRange(pixels[y * 4 + x], expected[x] - 1, expected[x] + 1);
    }

    [Fact]
    public void Resized_crop_windows_lie_inside_the_image_with_the_asked_area_and_ratio()
    {
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var (top, left, h, w) = BatchAugmenter.ResizedCropBox(random, 224, 160, 0.08, 1, 0.75, 4.0 / 3);
            Assert.InRange(top, 0, 224 - h);
            Assert.InRange(left, 0, 160 - w);
            // Whole pixels: rounding each side moves the area and ratio by at most about a pixel's worth.
            Assert.InRange(w * h / (224.0 * 160), 0.08 * 0.9, 1.0);
            Assert.InRange((double)w / h, 0.75 * 0.9, 4.0 / 3 * 1.1);
        }
        // No window can fit a ratio range far from a square image's: the centre crop with the ratio clamped.
        Assert.Equal((0, 0, 10, 10), BatchAugmenter.ResizedCropBox(new Random(0), 10, 10, 1, 1, 1, 1));
        Assert.Equal((0, 10, 20, 20), BatchAugmenter.ResizedCropBox(new Random(0), 20, 40, 0.99, 1, 1, 1));
    }

    // One output sample of a 1-D resize of `values` to `outputs` samples, written from the
    // definitions: half-pixel centres, edge samples repeated; bilinear clamps the source position at
    // 0, bicubic is Keys' cubic convolution with a = -0.75 (PyTorch's interpolate; PIL uses -0.5).
    private static double Reference(Func<int, double> values, int n, int outputs, int u, InterpolationMode interpolation)
    {
        double s = (u + 0.5) * n / outputs - 0.5;
        double At(int i) => values(Math.Clamp(i, 0, n - 1));
        if (interpolation == InterpolationMode.Bilinear)
        {
            s = Math.Max(0, s);
            int i0 = (int)Math.Floor(s);
            return At(i0) * (1 - (s - i0)) + At(i0 + 1) * (s - i0);
        }
        const double a = -0.75;
        static double W(double x, double a)
        {
            x = Math.Abs(x);
            return x < 1 ? (a + 2) * x * x * x - (a + 3) * x * x + 1 : x < 2 ? a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a : 0;
        }
        int i = (int)Math.Floor(s);
        double t = s - i;
        return At(i - 1) * W(t + 1, a) + At(i) * W(t, a) + At(i + 1) * W(1 - t, a) + At(i + 2) * W(2 - t, a);
    }

    [Theory]
    [InlineData(InterpolationMode.Bilinear)]
    [InlineData(InterpolationMode.Bicubic)]
    public void A_window_is_resized_as_the_interpolation_formula_says(InterpolationMode interpolation)
    {
        using var scope = NewDisposeScope();
        // Pixel (y, x) = x + 100 y: separable, so the 2-D resize is the sum of two 1-D ones.
        var ramp = (arange(16, dtype: ScalarType.Float32).view(1, 1, 1, 16) + arange(16, dtype: ScalarType.Float32).view(1, 1, 16, 1) * 100).expand(2, 1, 16, 16).contiguous();
        var boxes = new[] { (2, 3, 8, 8), (0, 0, 16, 16) };
        var output = BatchAugmenter.CropAndResize(ramp, boxes, 24, 24, interpolation);
        Assert.Equal(new long[] { 2, 1, 24, 24 }, output.shape);
        for (int b = 0; b < 2; b++)
        {
            var (top, left, h, w) = boxes[b];
            for (int v = 0; v < 24; v++)
                for (int u = 0; u < 24; u++)
                {
                    double expected = Reference(i => left + i, w, 24, u, interpolation) + 100 * Reference(i => top + i, h, 24, v, interpolation);
                    Assert.Equal(expected, output[b, 0, v, u].item<float>(), tolerance: 2e-3);
                }
        }
    }

    [Fact]
    public void The_augmentation_draws_one_window_per_image_from_the_step_seed()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 3, 32, 32, generator: new Generator(1));
        var augmenter = new BatchAugmenter(new AugmentOptions[] { new RandomResizedCropAugment(Size: 20) }, 10, new[] { 0f, 0f, 0f });
        var (a, _) = augmenter.Apply(x, zeros(4, dtype: ScalarType.Int64), seed: 9);
        var (b, _) = augmenter.Apply(x, zeros(4, dtype: ScalarType.Int64), seed: 9);
        var (c, _) = augmenter.Apply(x, zeros(4, dtype: ScalarType.Int64), seed: 10);
        Assert.Equal(new long[] { 4, 3, 20, 20 }, a.shape);
        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.equal(c).all().item<bool>());
    }

    [Fact]
    public void Shrinking_for_a_smaller_model_filters_as_an_antialiased_resize()
    {
        using var scope = NewDisposeScope();
        // One row 0, 1, 2, 3 shrunk to 2: the triangle filter widened 2x (PIL's and torchvision's
        // antialiased bilinear) puts weights 0.75, 0.75, 0.25 on pixels 0, 1, 2 for output 0, so
        // (0.75 + 0.5) / 1.75 = 0.714; plain bilinear would give 0.5.
        var row = arange(4, dtype: ScalarType.Float32).view(1, 1, 1, 4).expand(1, 1, 4, 4).contiguous();
        var shrunk = new InputAdapter(2, 1).Apply(row);
        Assert.Equal(1.25 / 1.75, shrunk[0, 0, 0, 0].item<float>(), 4);
        Assert.Equal(3 - 1.25 / 1.75, shrunk[0, 0, 1, 1].item<float>(), 4);
    }

    [Fact]
    public void Teacher_and_student_see_the_same_augmented_images_each_at_its_own_size()
    {
        using var scope = NewDisposeScope();
        // Each image is one constant, so any resize keeps it: both inputs must hold the same constants in the same order.
        var x = tensor(new float[] { 1f, -2f, 0.5f }).view(3, 1, 1, 1).expand(3, 1, 28, 28).contiguous();
        Tensor? teacherSaw = null, studentSaw = null;
        var loss = Stages.DistillationLoss(new KdLossOptions(Temperature: 2, Weight: 1),
            t => { teacherSaw = t.clone(); return zeros(3, 2); },
            s => { studentSaw = s.clone(); return zeros(3, 2, requires_grad: true); },
            new InputAdapter(28, 3), new InputAdapter(12, 1));
        loss(x, zeros(3, dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 3, 3, 28, 28 }, teacherSaw!.shape);
        Assert.Equal(new long[] { 3, 1, 12, 12 }, studentSaw!.shape);
        foreach (var seen in new[] { teacherSaw.amax(new long[] { 1, 2, 3 }), teacherSaw.amin(new long[] { 1, 2, 3 }), studentSaw.amax(new long[] { 1, 2, 3 }), studentSaw.amin(new long[] { 1, 2, 3 }) })
            Assert.Equal(new[] { 1.0, -2.0, 0.5 }, seen.data<float>().ToArray().Select(v => Math.Round(v, 5)));
    }
}
