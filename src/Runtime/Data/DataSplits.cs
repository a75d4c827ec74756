using System;
using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Runtime.Data;

/// <summary>
/// The four image sets one experiment uses. Labels of <see cref="Train"/>, <see cref="Validation"/> and
/// <see cref="Test"/> are 0..C-1 in the order of <see cref="DownstreamClasses"/>; labels of
/// <see cref="Upstream"/> follow <see cref="UpstreamClasses"/>. <see cref="ImageSet.SourceIndices"/>
/// point into the loaded training (or, for Test, test) split.
/// </summary>
public sealed record ExperimentData(
    ImageSet Upstream,
    ImageSet Train,
    ImageSet Validation,
    ImageSet Test,
    IReadOnlyList<int> DownstreamClasses,
    IReadOnlyList<int> UpstreamClasses)
{
    /// <summary>
    /// Unlabeled images of the downstream classes for distillation (the transfer set), disjoint from
    /// every other split. Their labels are the data set's, kept only because an ImageSet has labels:
    /// the distillation stage relabels them with the teacher's predictions and never reads these.
    /// </summary>
    public ImageSet Transfer { get; init; } = Train.Subset(Array.Empty<int>());

    /// <summary>The downstream classes' names in label order, when the source knows them (an exported model carries them).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Names the downstream classes from the source's names of all its classes (null: unknown).</summary>
    public ExperimentData WithClassNames(IReadOnlyList<string>? sourceNames) =>
        sourceNames is null ? this : this with { ClassNames = DownstreamClasses.Select(c => c < sourceNames.Count ? sourceNames[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() };
}

/// <summary>
/// How many images of each downstream class are labelled (train + validation), given how many the
/// training split has of each, in class order. The recipe's regimes (<c>Options.RegimeOptions</c>)
/// are such selections.
/// </summary>
public interface ISelectionRegime
{
    int[] Counts(IReadOnlyList<int> available);

    /// <summary>The regime in words, for messages.</summary>
    string Describe();
}

/// <summary>What <see cref="DataSplits.Build"/> selects: the downstream classes and regime, validation, test and transfer sizes, and the upstream images.</summary>
public sealed record DataSplitSpec
{
    /// <summary>Downstream classes; labels 0..C-1 follow this order.</summary>
    public required IReadOnlyList<int> Classes { get; init; }
    public required ISelectionRegime Regime { get; init; }
    /// <summary>Seeds the selection of labelled, validation, transfer and test images.</summary>
    public int Seed { get; init; }
    /// <summary>Share of each class's selected images held out for validation.</summary>
    public double ValidationFraction { get; init; }
    /// <summary>Validation images per class taken beside the selected ones (not with a fraction).</summary>
    public int ValidationPerClass { get; init; }
    /// <summary>Images per class the downstream splits are drawn from, with a fixed seed (0 = all).</summary>
    public int ReservedPerClass { get; init; }
    /// <summary>Test images at most, class-proportional (0 = all).</summary>
    public int MaxTestImages { get; init; }
    /// <summary>The classes the teacher is pretrained on (empty = no upstream split).</summary>
    public IReadOnlyList<int> UpstreamClasses { get; init; } = [];
    /// <summary>Upstream images at most (0 = every image left over).</summary>
    public int UpstreamMaxImages { get; init; }
    /// <summary>Seeds the upstream cap's draw: replicates with other data seeds keep one upstream set.</summary>
    public int UpstreamSeed { get; init; }
    /// <summary>Unlabeled images per downstream class set aside for distillation (the transfer set).</summary>
    public int TransferPerClass { get; init; }
}

public static class DataSplits
{
    /// <summary>
    /// Splits a data set into upstream (teacher pretraining), downstream train and validation, and test.
    /// Upstream never contains an image chosen for downstream train or validation, also when the
    /// class sets overlap: a teacher that saw the downstream images during pretraining would make
    /// the few-shot numbers meaningless.
    /// </summary>
    public static ExperimentData Build(ImageSet train, ImageSet test, DataSplitSpec data)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(data);
        int transferPerClass = data.TransferPerClass;
        if (train.NumClasses != test.NumClasses || train.Channels != test.Channels || train.Height != test.Height || train.Width != test.Width)
            throw new ArgumentException(
                $"training ({train.NumClasses} classes, {train.Channels}x{train.Height}x{train.Width}) and test ({test.NumClasses} classes, {test.Channels}x{test.Height}x{test.Width}) splits do not match");
        CheckClasses(data.Classes, train.NumClasses, "data classes", allowEmpty: false);
        CheckClasses(data.UpstreamClasses, train.NumClasses, "pretrain classes", allowEmpty: true);
        if (!(data.ValidationFraction >= 0 && data.ValidationFraction < 1))
            throw new ArgumentException($"validation fraction {data.ValidationFraction} must be in [0, 1)");
        if (data.ValidationPerClass < 0)
            throw new ArgumentException($"validation images per class must be 0 or positive, got {data.ValidationPerClass}");
        if (data.ValidationPerClass > 0 && data.ValidationFraction > 0)
            throw new ArgumentException($"validation comes either out of the selected images (fraction {data.ValidationFraction}) or beside them ({data.ValidationPerClass} per class), not both");
        if (data.UpstreamMaxImages < 0 || data.MaxTestImages < 0)
            throw new ArgumentException("image caps must be 0 (no cap) or positive");

        if (data.ReservedPerClass < 0)
            throw new ArgumentException($"reserved images per class must be 0 (no pool) or positive, got {data.ReservedPerClass}");
        var pools = data.Classes.Select(train.IndicesOf).ToArray();
        // The reserved pool is drawn with a fixed seed, not the data seed: every replicate and regime
        // then leaves the same images to pretraining, and one cached teacher serves them all.
        var reserved = new bool[train.Count];
        if (data.ReservedPerClass > 0)
            for (int k = 0; k < pools.Length; k++)
            {
                if (pools[k].Length > data.ReservedPerClass)
                    pools[k] = Seeds.Shuffled(pools[k], new Random(Seeds.Derive(0, SeedStreams.Reserve, data.Classes[k])))
                        .Take(data.ReservedPerClass).Order().ToArray();
                foreach (int i in pools[k]) reserved[i] = true;
            }
        var counts = SelectionCounts(data.Regime, data.Classes, pools.Select(p => p.Length).ToArray());

        if (transferPerClass < 0)
            throw new ArgumentException($"the transfer set needs 0 or more images per class, got {transferPerClass}");
        var trainIndices = new List<int>();
        var validationIndices = new List<int>();
        var transferIndices = new List<int>();
        var taken = new bool[train.Count];
        for (int k = 0; k < data.Classes.Count; k++)
        {
            // One stream per class, shuffled in full: k=5 few-shot images are a subset of the k=10 ones
            // for the same seed, and adding a class leaves the other classes' images unchanged.
            var order = Seeds.Shuffled(pools[k], new Random(Seeds.Derive(data.Seed, SeedStreams.Selection, data.Classes[k])));
            int selected = counts[k];
            int validation = ValidationCount(data.ValidationFraction, selected);
            for (int i = 0; i < selected; i++)
            {
                taken[order[i]] = true;
                (i < selected - validation ? trainIndices : validationIndices).Add(order[i]);
            }
            // Validation beside the budget, then the transfer images, are the next ones of the same
            // stream: the labelled images stay those of the same seed without them.
            int beside = data.ValidationPerClass, needed = selected + beside + transferPerClass;
            if (needed > order.Length)
                throw new ArgumentException($"{selected} labelled{(beside > 0 ? $", {beside} validation" : "")}{(transferPerClass > 0 ? $" and {transferPerClass} transfer" : "")} images of class {data.Classes[k]} make {needed}, but {(data.ReservedPerClass > 0 ? "the reserved pool" : "the training split")} has only {order.Length}");
            for (int i = selected; i < needed; i++)
            {
                taken[order[i]] = true;
                (i < selected + beside ? validationIndices : transferIndices).Add(order[i]);
            }
        }
        transferIndices.Sort();
        trainIndices.Sort();
        validationIndices.Sort();

        var upstreamClass = new bool[train.NumClasses];
        foreach (int c in data.UpstreamClasses)
            upstreamClass[c] = true;
        var upstreamIndices = new List<int>();
        for (int i = 0; i < train.Count; i++)
            if (upstreamClass[train.Labels[i]] && !taken[i] && !reserved[i])
                upstreamIndices.Add(i);
        if (data.UpstreamMaxImages > 0 && data.UpstreamMaxImages < upstreamIndices.Count)
        {
            // The pretraining seed, not the data seed: replicates (data seed + i) keep one upstream set.
            var order = Seeds.Shuffled(upstreamIndices, new Random(Seeds.Derive(data.UpstreamSeed, SeedStreams.Upstream)));
            upstreamIndices = order.Take(data.UpstreamMaxImages).Order().ToList();
        }

        var testIndices = TestIndices(test, data);

        return new ExperimentData(
            Upstream: train.Subset(upstreamIndices).WithClasses(data.UpstreamClasses),
            Train: train.Subset(trainIndices).WithClasses(data.Classes),
            Validation: train.Subset(validationIndices).WithClasses(data.Classes),
            // Every split is normalised like the training split, the test split included.
            Test: test.Subset(testIndices).WithClasses(data.Classes).WithStatistics(train.Statistics),
            DownstreamClasses: data.Classes.ToArray(),
            UpstreamClasses: data.UpstreamClasses.ToArray())
        {
            Transfer = train.Subset(transferIndices).WithClasses(data.Classes),
        };
    }

    /// <summary>Images per downstream class (train + validation) the regime asks for, in class order.</summary>
    public static int[] SelectionCounts(ISelectionRegime regime, IReadOnlyList<int> classes, IReadOnlyList<int> available)
    {
        ArgumentNullException.ThrowIfNull(regime);
        int n = classes.Count;
        var counts = regime.Counts(available);
        if (counts.Length != n)
            throw new ArgumentException($"the {regime.Describe()} regime gave {counts.Length} class sizes for {n} classes");
        for (int k = 0; k < n; k++)
            if (counts[k] > available[k])
                throw new ArgumentException(
                    $"the {regime.Describe()} regime asks for {counts[k]} images of class {classes[k]}, but the training split has only {available[k]}");
        return counts;
    }

    /// <summary>n_c = round(n_max * ratio^(-c/(C-1))), at least 1; halves round away from zero.</summary>
    public static int LongTailCount(int nMax, double ratio, int classPosition, int classCount)
    {
        if (classCount <= 1)
            return Math.Max(1, nMax);
        double value = nMax * Math.Pow(ratio, -(double)classPosition / (classCount - 1));
        return Math.Max(1, (int)Math.Round(value, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// Validation images taken from a class's <paramref name="selected"/> ones: the fraction, rounded,
    /// but at least 1 (so every class is validated) and at most selected-1 (so every class is trained).
    /// </summary>
    public static int ValidationCount(double fraction, int selected)
    {
        if (fraction <= 0 || selected < 2)
            return 0;
        int count = (int)Math.Round(fraction * selected, MidpointRounding.AwayFromZero);
        return Math.Clamp(count, 1, selected - 1);
    }

    private static List<int> TestIndices(ImageSet test, DataSplitSpec data)
    {
        var pools = data.Classes.Select(test.IndicesOf).ToArray();
        int total = pools.Sum(p => p.Length);
        var result = new List<int>();
        if (data.MaxTestImages == 0 || data.MaxTestImages >= total)
        {
            foreach (var pool in pools)
                result.AddRange(pool);
        }
        else
        {
            var quotas = Proportional(pools.Select(p => p.Length).ToArray(), data.MaxTestImages);
            for (int k = 0; k < pools.Length; k++)
            {
                var order = Seeds.Shuffled(pools[k], new Random(Seeds.Derive(data.Seed, SeedStreams.Test, data.Classes[k])));
                result.AddRange(order.Take(quotas[k]));
            }
        }
        result.Sort();
        return result;
    }

    // Largest-remainder apportionment: the quotas sum to exactly `total` and follow the class sizes.
    internal static int[] Proportional(int[] sizes, int total)
    {
        long sum = sizes.Sum(s => (long)s);
        var quotas = new int[sizes.Length];
        var remainders = new (double Remainder, int Index)[sizes.Length];
        int assigned = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            double exact = (double)sizes[k] * total / sum;
            quotas[k] = (int)Math.Floor(exact);
            remainders[k] = (exact - quotas[k], k);
            assigned += quotas[k];
        }
        foreach (var (_, k) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Index).Take(total - assigned))
            quotas[k]++;
        return quotas;
    }

    private static void CheckClasses(IReadOnlyList<int> classes, int numClasses, string what, bool allowEmpty)
    {
        if (classes is null || (!allowEmpty && classes.Count == 0))
            throw new ArgumentException($"{what} must list at least one class");
        var seen = new HashSet<int>();
        foreach (int c in classes)
        {
            if ((uint)c >= (uint)numClasses)
                throw new ArgumentException($"{what}: class {c} is outside 0..{numClasses - 1}");
            if (!seen.Add(c))
                throw new ArgumentException($"{what}: class {c} is listed twice");
        }
    }
}
