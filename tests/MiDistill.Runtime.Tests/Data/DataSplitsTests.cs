using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Tests.Data;

public sealed class DataSplitsTests
{
    // A synthetic 10-class set: `perClass` images of each class, interleaved, each image's single
    // pixel holding its own index (mod 256) so pixel copies can be checked.
    internal static ImageSet Synthetic(int perClass, int numClasses = 10)
    {
        int count = perClass * numClasses;
        var labels = Enumerable.Range(0, count).Select(i => i % numClasses).ToArray();
        var pixels = Enumerable.Range(0, count).Select(i => (byte)i).ToArray();
        return new ImageSet(pixels, labels, numClasses, channels: 1, height: 1, width: 1);
    }

    internal static DataOptions Data(RegimeOptions regime, IReadOnlyList<int> classes, double validation = 0, int maxTest = 0, int seed = 7) => new()
    {
        Source = new FashionMnistSource(),
        Path = FashionMnist.DefaultPath,
        Classes = classes,
        Regime = regime,
        ValidationFraction = validation,
        MaxTestImages = maxTest,
        Seed = seed,
    };

    internal static PretrainOptions Pretrain(IReadOnlyList<int> classes, int maxImages = 0) => new()
    {
        Classes = classes,
        Epochs = 1,
        BatchSize = 32,
        Optimizer = new SgdOptions(0.1, 0.9, 0, false),
        Schedule = new ConstantLr(),
        MaxImages = maxImages,
        Seed = 0,
    };

    // The splits a recipe's data and pretraining settings ask for (DataOptions.Splits), as a run selects them.
    private static ExperimentData Build(ImageSet train, ImageSet test, DataOptions data, PretrainOptions pretrain, int transferPerClass = 0) =>
        DataSplits.Build(train, test, data.Splits(pretrain, transferPerClass));

    private static readonly int[] Downstream = { 5, 6, 7, 8, 9 };
    private static readonly int[] Upstream = { 0, 1, 2, 3, 4 };

    [Fact]
    public void Few_shot_selects_exactly_k_per_class_and_remaps_labels()
    {
        var split = Build(Synthetic(100), Synthetic(20), Data(new FewShotRegime(10), Downstream), Pretrain(Upstream));
        Assert.Equal(new[] { 10, 10, 10, 10, 10 }, split.Train.ClassCounts());
        Assert.Equal(5, split.Train.NumClasses);
        for (int i = 0; i < split.Train.Count; i++)
            Assert.Equal(Downstream[split.Train.Labels[i]], split.Train.SourceIndices[i] % 10);
        Assert.Equal(500, split.Upstream.Count);
        Assert.Equal(new[] { 20, 20, 20, 20, 20 }, split.Test.ClassCounts());
    }

    [Fact]
    public void Few_shot_beyond_the_available_images_names_the_class()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Build(Synthetic(8), Synthetic(2), Data(new FewShotRegime(10), Downstream), Pretrain(Upstream)));
        Assert.Equal("the few-shot (10 per class) regime asks for 10 images of class 5, but the training split has only 8", e.Message);
    }

    [Fact]
    public void Long_tail_counts_follow_the_closed_form()
    {
        // 100 * 10^(-c/4) for c = 0..4: 100, 56.23, 31.62, 17.78, 10.
        var split = Build(Synthetic(300), Synthetic(2), Data(new LongTailRegime(10, 100), Downstream), Pretrain(Upstream));
        Assert.Equal(new[] { 100, 56, 32, 18, 10 }, split.Train.ClassCounts());
    }

    [Fact]
    public void Long_tail_without_a_maximum_starts_from_the_smallest_class()
    {
        // 50 * 100^(-c/2) for c = 0..2: 50, 5, 0.5 -> at least 1.
        var split = Build(Synthetic(50), Synthetic(2), Data(new LongTailRegime(100, 0), new[] { 2, 0, 1 }), Pretrain(Array.Empty<int>()));
        Assert.Equal(new[] { 50, 5, 1 }, split.Train.ClassCounts());
        Assert.Equal(0, split.Upstream.Count);
    }

    [Fact]
    public void Stratified_validation_is_held_out_of_training()
    {
        var split = Build(Synthetic(300), Synthetic(2), Data(new LongTailRegime(10, 100), Downstream, validation: 0.2), Pretrain(Upstream));
        // round(0.2 * n) with n = 100, 56, 32, 18, 10; each class keeps at least one validation image.
        Assert.Equal(new[] { 20, 11, 6, 4, 2 }, split.Validation.ClassCounts());
        Assert.Equal(new[] { 80, 45, 26, 14, 8 }, split.Train.ClassCounts());
        Assert.Empty(split.Train.SourceIndices.Intersect(split.Validation.SourceIndices));
    }

    [Fact]
    public void Validation_keeps_one_image_per_class_when_the_fraction_rounds_to_zero()
    {
        var split = Build(Synthetic(100), Synthetic(2), Data(new FewShotRegime(2), Downstream, validation: 0.1), Pretrain(Upstream));
        Assert.Equal(new[] { 1, 1, 1, 1, 1 }, split.Validation.ClassCounts());
        Assert.Equal(new[] { 1, 1, 1, 1, 1 }, split.Train.ClassCounts());
        Assert.Equal(0, DataSplits.ValidationCount(0.5, 1));
    }

    [Fact]
    public void Upstream_never_shares_an_image_with_downstream_even_when_classes_overlap()
    {
        var all = Enumerable.Range(0, 10).ToArray();
        var split = Build(Synthetic(100), Synthetic(2), Data(new FewShotRegime(5), new[] { 3, 4, 5 }, validation: 0.2), Pretrain(all));
        var downstream = split.Train.SourceIndices.Concat(split.Validation.SourceIndices).ToHashSet();
        Assert.Equal(15, downstream.Count);
        Assert.DoesNotContain(split.Upstream.SourceIndices, downstream.Contains);
        Assert.Equal(1000 - 15, split.Upstream.Count);
        Assert.Equal(new[] { 100, 100, 100, 95, 95, 95, 100, 100, 100, 100 }, split.Upstream.ClassCounts());
    }

    [Fact]
    public void A_reserved_pool_leaves_pretraining_the_same_images_for_every_seed()
    {
        var all = Enumerable.Range(0, 10).ToArray();
        DataSplitsResult Split(int seed) => new(Build(Synthetic(100), Synthetic(2),
            Data(new FewShotRegime(5), new[] { 3, 4, 5 }, validation: 0.2, seed: seed) with { ReservedPerClass = 20 }, Pretrain(all)));
        var a = Split(1);
        var b = Split(2);
        // 20 images of each of classes 3, 4, 5 are set aside whatever the seed; pretraining has the other 80.
        Assert.Equal(new[] { 100, 100, 100, 80, 80, 80, 100, 100, 100, 100 }, a.Split.Upstream.ClassCounts());
        Assert.Equal(a.Split.Upstream.SourceIndices, b.Split.Upstream.SourceIndices);
        // Each seed draws its own 5 labelled images per class, from the pool, never from pretraining's images.
        Assert.NotEqual(a.Downstream.Order(), b.Downstream.Order());
        var pool = Enumerable.Range(0, 1000).Where(i => new[] { 3, 4, 5 }.Contains(i % 10)).Except(a.Split.Upstream.SourceIndices).ToHashSet();
        Assert.Equal(60, pool.Count);
        Assert.All(a.Downstream.Concat(b.Downstream), i => Assert.Contains(i, pool));
    }

    [Fact]
    public void The_transfer_set_is_disjoint_from_every_other_split()
    {
        var all = Enumerable.Range(0, 10).ToArray();
        var split = Build(Synthetic(100), Synthetic(20),
            Data(new FewShotRegime(5), new[] { 3, 4, 5 }, validation: 0.2) with { ReservedPerClass = 30 }, Pretrain(all), transferPerClass: 12);
        Assert.Equal(36, split.Transfer.Count);
        Assert.Equal(new[] { 12, 12, 12 }, split.Transfer.ClassCounts());
        var transfer = split.Transfer.SourceIndices.ToHashSet();
        foreach (var other in new[] { split.Train, split.Validation, split.Upstream })
            Assert.DoesNotContain(other.SourceIndices, transfer.Contains);
        // 30 reserved per class: 5 labelled + 12 transfer leaves 13 unused, none of them pretraining's.
        Assert.Equal(new[] { 100, 100, 100, 70, 70, 70, 100, 100, 100, 100 }, split.Upstream.ClassCounts());
        var e = Assert.Throws<ArgumentException>(() => Build(Synthetic(100), Synthetic(20),
            Data(new FewShotRegime(5), new[] { 3 }) with { ReservedPerClass = 10 }, Pretrain(all), transferPerClass: 6));
        Assert.Contains("5 labelled and 6 transfer images of class 3 make 11, but the reserved pool has only 10", e.Message);
    }

    [Fact]
    public void Validation_beside_the_budget_leaves_the_labelled_images_whole()
    {
        var all = Enumerable.Range(0, 10).ToArray();
        ExperimentData Make(int beside, int transfer) => Build(Synthetic(100), Synthetic(20),
            Data(new FewShotRegime(5), new[] { 3, 4, 5 }, validation: 0) with { ReservedPerClass = 30, ValidationPerClass = beside }, Pretrain(all), transferPerClass: transfer);
        var without = Make(0, 0);
        var with = Make(4, 0);
        // The same 5 labelled images per class as without validation: none is spent on validation.
        Assert.Equal(without.Train.SourceIndices, with.Train.SourceIndices);
        Assert.Equal(new[] { 5, 5, 5 }, with.Train.ClassCounts());
        Assert.Equal(new[] { 4, 4, 4 }, with.Validation.ClassCounts());
        Assert.Empty(with.Validation.SourceIndices.Intersect(with.Train.SourceIndices));
        // Validation comes out of the reserved pool, so pretraining keeps its 70 images per downstream class.
        Assert.Empty(with.Validation.SourceIndices.Intersect(with.Upstream.SourceIndices));
        Assert.Equal(new[] { 100, 100, 100, 70, 70, 70, 100, 100, 100, 100 }, with.Upstream.ClassCounts());
        // The transfer images follow the validation ones: all three sets disjoint.
        var both = Make(4, 6);
        Assert.Equal(with.Validation.SourceIndices, both.Validation.SourceIndices);
        Assert.Empty(both.Transfer.SourceIndices.Intersect(both.Validation.SourceIndices.Concat(both.Train.SourceIndices)));
        Assert.Equal(18, both.Transfer.Count);

        var twice = Assert.Throws<ArgumentException>(() => Build(Synthetic(100), Synthetic(20),
            Data(new FewShotRegime(5), new[] { 3 }, validation: 0.2) with { ValidationPerClass = 2 }, Pretrain(all)));
        Assert.Contains("not both", twice.Message);
        var tooMany = Assert.Throws<ArgumentException>(() => Build(Synthetic(100), Synthetic(20),
            Data(new FewShotRegime(5), new[] { 3 }, validation: 0) with { ReservedPerClass = 10, ValidationPerClass = 4 }, Pretrain(all), transferPerClass: 2));
        Assert.Contains("5 labelled, 4 validation and 2 transfer images of class 3 make 11, but the reserved pool has only 10", tooMany.Message);
    }

    private sealed record DataSplitsResult(ExperimentData Split)
    {
        public int[] Downstream { get; } = Split.Train.SourceIndices.Concat(Split.Validation.SourceIndices).ToArray();
    }

    [Fact]
    public void Upstream_cap_and_test_cap_are_honoured()
    {
        var split = Build(Synthetic(100), Synthetic(40), Data(new FullRegime(), Downstream, maxTest: 50), Pretrain(Upstream, maxImages: 123));
        Assert.Equal(123, split.Upstream.Count);
        Assert.Equal(new[] { 10, 10, 10, 10, 10 }, split.Test.ClassCounts());
        Assert.Equal(new[] { 100, 100, 100, 100, 100 }, split.Train.ClassCounts());
        Assert.True(split.Upstream.SourceIndices.SequenceEqual(split.Upstream.SourceIndices.Order()));
    }

    [Fact]
    public void Stratified_test_cap_follows_class_sizes()
    {
        Assert.Equal(new[] { 5, 3, 2 }, DataSplits.Proportional(new[] { 50, 30, 20 }, 10));
        Assert.Equal(new[] { 4, 3, 3 }, DataSplits.Proportional(new[] { 10, 10, 10 }, 10));
    }

    [Fact]
    public void Same_seed_same_split_other_seed_other_split()
    {
        ExperimentData Make(int seed) => Build(Synthetic(100), Synthetic(30),
            Data(new FewShotRegime(5), Downstream, validation: 0.2, maxTest: 20, seed: seed), Pretrain(Upstream, maxImages: 50));
        var a = Make(1);
        var b = Make(1);
        var c = Make(2);
        foreach (var select in new Func<ExperimentData, ImageSet>[] { d => d.Train, d => d.Validation, d => d.Upstream, d => d.Test })
        {
            Assert.Equal(select(a).SourceIndices, select(b).SourceIndices);
            Assert.Equal(select(a).ReadPixels(), select(b).ReadPixels());
        }
        Assert.NotEqual(a.Train.SourceIndices, c.Train.SourceIndices);
        // The upstream cap is drawn with the pretraining seed: replicates (other data seeds) share one teacher.
        Assert.Equal(a.Upstream.SourceIndices, c.Upstream.SourceIndices);
    }

    [Fact]
    public void Few_shot_sets_are_nested_across_k()
    {
        var five = Build(Synthetic(100), Synthetic(2), Data(new FewShotRegime(5), Downstream), Pretrain(Upstream));
        var ten = Build(Synthetic(100), Synthetic(2), Data(new FewShotRegime(10), Downstream), Pretrain(Upstream));
        Assert.Subset(ten.Train.SourceIndices.ToHashSet(), five.Train.SourceIndices.ToHashSet());
    }

    [Fact]
    public void Subset_copies_pixels_and_keeps_source_indices()
    {
        var set = Synthetic(10);
        var sub = set.Subset(new[] { 42, 7 }).Subset(new[] { 1 });
        Assert.Equal(new byte[] { 7 }, sub.ReadPixels());
        Assert.Equal(new[] { 7 }, sub.SourceIndices);
        Assert.Equal(new[] { 7 }, sub.Labels);
    }

    [Fact]
    public void Real_fashion_mnist_few_shot_split()
    {
        var (train, test) = FashionMnist.Load(FashionMnist.DefaultPath);
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        var split = Build(train, test, Data(new FewShotRegime(10), Downstream, validation: 0.2), Pretrain(Upstream));
        Assert.Equal(new[] { 8, 8, 8, 8, 8 }, split.Train.ClassCounts());
        Assert.Equal(5000, split.Test.Count);
        Assert.Equal(30000, split.Upstream.Count);
    }
}
