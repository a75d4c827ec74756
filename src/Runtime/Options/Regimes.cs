using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Data;

namespace MiDistill.Runtime.Options;

/// <summary>Which training images of each downstream class are labelled (train + validation).</summary>
[RecipeChoice("regime")]
public abstract record RegimeOptions : ISelectionRegime
{
    /// <summary>Images per class, in class order, given how many the training split has of each.</summary>
    public abstract int[] Counts(IReadOnlyList<int> available);

    /// <summary>The regime in words, for messages.</summary>
    public abstract string Describe();
}

[RecipeForm("full", "All training images of the chosen classes.")]
public sealed record FullRegime : RegimeOptions
{
    public override int[] Counts(IReadOnlyList<int> available) => available.ToArray();
    public override string Describe() => "full";
}

[RecipeForm("few_shot", "k labelled images per class.")]
public sealed record FewShotRegime(
    [RecipeArg(Doc = "images per class (k), validation included", Min = 1)] int PerClass) : RegimeOptions
{
    public override int[] Counts(IReadOnlyList<int> available)
    {
        if (PerClass < 1)
            throw new ArgumentException($"few-shot needs at least 1 image per class, got {PerClass}");
        return Enumerable.Repeat(PerClass, available.Count).ToArray();
    }

    public override string Describe() => $"few-shot ({PerClass} per class)";
}

/// <summary>n_c = MaxPerClass * ImbalanceRatio^(-c/(C-1)); MaxPerClass 0 = the smallest class's available count.</summary>
[RecipeForm("long_tail", "n_c = max_per_class * ratio^(-c/(C-1)) images of the c-th class.")]
public sealed record LongTailRegime(
    [RecipeArg("ratio", Doc = "largest / smallest class size", Min = 1, Max = 10000)] double ImbalanceRatio = 10,
    [RecipeArg(Doc = "size of the largest class (0 = all available)", Min = 0)] int MaxPerClass = 0) : RegimeOptions
{
    public override int[] Counts(IReadOnlyList<int> available)
    {
        if (!(ImbalanceRatio >= 1))
            throw new ArgumentException($"long-tail imbalance ratio must be at least 1, got {ImbalanceRatio}");
        if (MaxPerClass < 0)
            throw new ArgumentException($"long-tail max per class must be 0 (automatic) or positive, got {MaxPerClass}");
        // Automatic n_max is the smallest class, so every class can supply its share.
        int nMax = MaxPerClass > 0 ? MaxPerClass : available.Min();
        return Enumerable.Range(0, available.Count).Select(k => DataSplits.LongTailCount(nMax, ImbalanceRatio, k, available.Count)).ToArray();
    }

    public override string Describe() => $"long-tail (ratio {ImbalanceRatio}, max {MaxPerClass} per class)";
}
