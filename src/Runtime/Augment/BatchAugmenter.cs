using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Data;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Augment;

/// <summary>
/// Applies a recipe's augmentations to one batch, in the order declared, on the batch tensors.
/// Every random decision comes from a <see cref="Random"/> seeded by <see cref="StepSeed"/>, never
/// from the global torch generator, so a step is augmented the same way after a resume and in every
/// run with the same seed. In distillation the augmented batch is what teacher and student both see
/// (patient and consistent function matching, Beyer et al. 2022).
/// </summary>
public sealed class BatchAugmenter
{
    // A seed stream of its own (see Data/Seeds): far from the data streams 1..5.
    private const int AugmentStream = 101;

    private readonly IBatchAugmentation[] _steps;
    private readonly int _numClasses;
    private readonly float[] _blackPixel;

    /// <param name="blackPixel">A black pixel after normalisation, per channel of the data (the data's own statistics).</param>
    public BatchAugmenter(IReadOnlyList<IBatchAugmentation> steps, int numClasses, IReadOnlyList<float> blackPixel)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(blackPixel);
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be >= 1.");
        if (blackPixel.Count == 0) throw new ArgumentException("a black pixel needs at least one channel", nameof(blackPixel));
        foreach (var step in steps)
        {
            ArgumentNullException.ThrowIfNull(step, nameof(steps));
            step.Validate();
        }
        _steps = steps.ToArray();
        _numClasses = numClasses;
        _blackPixel = blackPixel.ToArray();
        Host = HostCrop.For(_steps);
    }

    /// <summary>The leading steps a <see cref="BatchStream"/>'s workers can do per image (null: none).</summary>
    internal HostCrop? Host { get; }

    /// <summary>One black value for every channel (single-channel data).</summary>
    public BatchAugmenter(IReadOnlyList<IBatchAugmentation> steps, int numClasses, double padValue)
        : this(steps, numClasses, new[] { (float)padValue }) { }

    public bool IsEmpty => _steps.Length == 0;

    /// <summary>The seed of one step's augmentation: a function of the stage's seed, the epoch and the step only.</summary>
    public static int StepSeed(int stageSeed, int epoch, int step) =>
        Seeds.Derive(Seeds.Derive(stageSeed, AugmentStream, epoch), step);

    /// <summary>
    /// Augments images [B, C, H, W] with labels [B] (class indices). Targets stay class indices unless
    /// mixup mixed the batch; then they are class probabilities [B, numClasses] (float32).
    /// Tensors belong to the caller's dispose scope.
    /// </summary>
    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, int seed) => Apply(images, labels, seed, done: 0, random: null);

    /// <summary>
    /// Augments the tensors made from <paramref name="batch"/> of a <see cref="BatchStream"/> given
    /// this augmenter: the steps its worker already did are not done again, and the others continue
    /// the step's random stream where the worker left it. The batch may be disposed already.
    /// </summary>
    public (Tensor Images, Tensor Targets) Apply(HostBatch batch, Tensor images, Tensor labels, int seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Apply(images, labels, seed, batch.Augmented.Steps, batch.Augmented.Random);
    }

    /// <summary>
    /// Augments a batch whose first <paramref name="done"/> steps the stream's workers did
    /// (<see cref="HostBatch.Augmented"/>), continuing with the random stream they left.
    /// </summary>
    internal (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, int seed, int done, Random? random)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.dim() != 4) throw new ArgumentException($"images must be [B, C, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        if (done > 0 && (random is null || Host is null || done != Host.Steps))
            throw new ArgumentException($"a batch with {done} steps augmented by the workers needs their random stream and this augmenter's host part", nameof(done));
        var context = new AugmentContext(done > 0 ? random! : new Random(seed), _numClasses, _blackPixel);
        Tensor x = images, targets = labels;
        foreach (var step in _steps.Skip(done))
            (x, targets) = step.Apply(x, targets, context);
        return (x, targets);
    }

    /// <summary>Pads by <paramref name="padding"/> and takes, per image, the window at offsets drawn from [0, 2 padding].</summary>
    internal static Tensor Crop(Tensor x, int padding, Random random, float[] blackPixel)
    {
        long batch = x.shape[0], height = x.shape[2], width = x.shape[3];
        using var padded = PadWith(x, padding, blackPixel);
        var crops = new Tensor[batch];
        try {
            for (long i = 0; i < batch; i++) {
                int dy = random.Next(2 * padding + 1), dx = random.Next(2 * padding + 1);
                crops[i] = padded[i].narrow(1, dy, height).narrow(2, dx, width);
            }
            return stack(crops);
        } finally {
            foreach (var c in crops) c?.Dispose();
        }
    }

    // Each channel padded with its own black, so padding stays black whatever the data's statistics.
    private static Tensor PadWith(Tensor x, int padding, float[] blackPixel)
    {
        var sides = new long[] { padding, padding, padding, padding };
        long channels = x.shape[1];
        if (channels == 1 || blackPixel.Length == 1 || blackPixel.All(v => v == blackPixel[0]))
            return nn.functional.pad(x, sides, TorchSharp.PaddingModes.Constant, blackPixel[0]);
        var parts = new Tensor[channels];
        try {
            for (int c = 0; c < channels; c++) {
                using var channel = x.narrow(1, c, 1);
                parts[c] = nn.functional.pad(channel, sides, TorchSharp.PaddingModes.Constant, blackPixel[Math.Min(c, blackPixel.Length - 1)]);
            }
            return cat(parts, 1);
        } finally {
            foreach (var p in parts) p?.Dispose();
        }
    }

    /// <summary>
    /// torchvision's <c>RandomResizedCrop.get_params</c>: up to 10 draws of an area share in
    /// [scaleMin, scaleMax] and a log-uniform aspect ratio in [ratioMin, ratioMax], the first window
    /// that fits at a uniform position; else the centre crop with the ratio clamped into the range.
    /// </summary>
    internal static (int Top, int Left, int Height, int Width) ResizedCropBox(Random random, int height, int width,
        double scaleMin, double scaleMax, double ratioMin, double ratioMax)
    {
        double area = (double)height * width, logMin = Math.Log(ratioMin), logMax = Math.Log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (scaleMin + (scaleMax - scaleMin) * random.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return (random.Next(height - h + 1), random.Next(width - w + 1), h, w);
        }
        double aspect = (double)width / height;
        int cw = width, ch = height;
        if (aspect < ratioMin) ch = (int)Math.Round(width / ratioMin);
        else if (aspect > ratioMax) cw = (int)Math.Round(height * ratioMax);
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <summary>
    /// Each image's window (top, left, height, width in pixels) resized to outHeight x outWidth:
    /// output pixel u samples the window at (u + 0.5) width / outWidth - 0.5 (align_corners false),
    /// with an antialiasing filter where the window shrinks, as PIL and torchvision resize.
    /// </summary>
    internal static Tensor CropAndResize(Tensor x, (int Top, int Left, int Height, int Width)[] boxes, int outHeight, int outWidth, InterpolationMode interpolation)
    {
        if (interpolation != InterpolationMode.Bilinear && interpolation != InterpolationMode.Bicubic)
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "a window is resized bilinearly or bicubically");
        if (interpolation == InterpolationMode.Bilinear && boxes.All(b => b.Height <= outHeight && b.Width <= outWidth))
            return BilinearWindows(x, boxes, outHeight, outWidth);
        // One interpolate per image: TorchSharp's grid_sample has no bicubic mode, and a window that
        // shrinks needs interpolate's antialiasing filter.
        var mode = interpolation;
        var resized = new Tensor[boxes.Length];
        try {
            for (int i = 0; i < boxes.Length; i++) {
                var (top, left, h, w) = boxes[i];
                using var window = x.narrow(0, i, 1).narrow(2, top, h).narrow(3, left, w);
                resized[i] = nn.functional.interpolate(window, new long[] { outHeight, outWidth }, mode: mode, align_corners: false,
                    antialias: h > outHeight || w > outWidth);
            }
            return cat(resized, 0);
        } finally {
            foreach (var r in resized) r?.Dispose();
        }
    }

    /// <summary>
    /// Bilinear enlargement of every window in one <c>grid_sample</c> over the batch (one call the
    /// intra-op threads share, instead of one per image): each output pixel's source position is the
    /// one <c>interpolate</c> uses on the cropped window, clamped to the window's own edge pixels.
    /// </summary>
    private static Tensor BilinearWindows(Tensor x, (int Top, int Left, int Height, int Width)[] boxes, int outHeight, int outWidth)
    {
        long height = x.shape[2], width = x.shape[3];
        var gx = new float[boxes.Length * outWidth];
        var gy = new float[boxes.Length * outHeight];
        for (int i = 0; i < boxes.Length; i++)
        {
            var (top, left, h, w) = boxes[i];
            // Pixel p of the image sits at grid coordinate (2p + 1) / size - 1 (align_corners false).
            for (int u = 0; u < outWidth; u++)
                gx[i * outWidth + u] = (float)((2 * (left + Math.Clamp((u + 0.5) * w / outWidth - 0.5, 0, w - 1)) + 1) / width - 1);
            for (int v = 0; v < outHeight; v++)
                gy[i * outHeight + v] = (float)((2 * (top + Math.Clamp((v + 0.5) * h / outHeight - 0.5, 0, h - 1)) + 1) / height - 1);
        }
        using var xs = tensor(gx, new long[] { boxes.Length, 1, outWidth, 1 }, dtype: x.dtype, device: x.device).expand(-1, outHeight, -1, -1);
        using var ys = tensor(gy, new long[] { boxes.Length, outHeight, 1, 1 }, dtype: x.dtype, device: x.device).expand(-1, -1, outWidth, -1);
        using var grid = cat(new[] { xs, ys }, 3);
        return nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    /// <summary>Mirrors each image left-right when its coin (one draw per image) comes up.</summary>
    internal static Tensor Flip(Tensor x, Random random)
    {
        var flags = new bool[x.shape[0]];
        for (int i = 0; i < flags.Length; i++) flags[i] = random.Next(2) == 1;
        using var mask = tensor(flags, device: x.device).view(-1, 1, 1, 1);
        using var flipped = x.flip(3);
        return where(mask, flipped, x);
    }

    /// <summary>x' = lam x + (1 - lam) x[perm]; targets mixed with the same lam and permutation.</summary>
    internal static (Tensor Images, Tensor Targets) Mixup(Tensor x, Tensor targets, int numClasses, double lam, long[] permutation)
    {
        using var index = tensor(permutation, device: x.device);
        var mixed = x * lam + x.index_select(0, index) * (1 - lam);
        var soft = targets.dtype == ScalarType.Int64
            ? nn.functional.one_hot(targets, numClasses).to(ScalarType.Float32)
            : targets;
        var mixedTargets = soft * lam + soft.index_select(0, index) * (1 - lam);
        return (mixed, mixedTargets);
    }

    internal static long[] Permutation(Random random, int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Seeds.Shuffle(order, random);
        return order.Select(i => (long)i).ToArray();
    }

    /// <summary>Beta(a, a) as G1 / (G1 + G2) of two Gamma(a) draws.</summary>
    internal static double SampleBeta(Random random, double a)
    {
        double g1 = SampleGamma(random, a), g2 = SampleGamma(random, a);
        return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
    }

    // Marsaglia and Tsang (2000); shapes below 1 via Gamma(a) = Gamma(a + 1) U^(1/a).
    private static double SampleGamma(Random random, double a)
    {
        if (a < 1) return SampleGamma(random, a + 1) * Math.Pow(1 - random.NextDouble(), 1 / a);
        double d = a - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true) {
            double z, v;
            do {
                // Box-Muller; 1 - NextDouble() lies in (0, 1], so the log is finite.
                z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                v = 1 + c * z;
            } while (v <= 0);
            v = v * v * v;
            double u = 1 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return d * v;
        }
    }
}
