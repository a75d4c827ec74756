using System;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Information;

namespace MiDistill.Runtime.Options;

// The `analyze` section: mutual-information diagnostics of the teacher. Every analysis is off unless
// a recipe asks for it, so a recipe without `analyze` costs nothing extra.

/// <summary>Which diagnostics run, on which probe images, with which MI estimators.</summary>
[RecipeSection("analyze", "Mutual-information diagnostics of the teacher (docs/information.md). Every analysis is off unless turned on.", Order = 7)]
public sealed record AnalyzeOptions
{
    /// <summary>I(X; H) after every attention and MLP sub-block, before and after fine-tuning.</summary>
    [RecipeSetting(Doc = "I(X; H) after every attention and MLP sub-block, before and after fine-tuning", Default = "false")]
    public bool MiPerBlock { get; init; }
    /// <summary>Remove the top-k MLP vs attention sub-blocks (k = 0..depth): MI of F_T and accuracy.</summary>
    [RecipeSetting(Doc = "remove the top-k MLP vs attention sub-blocks (k = 0..depth): MI of F_T and probe accuracy", Default = "false")]
    public bool Bottleneck { get; init; }
    /// <summary>Fraction of MLP hidden units with positive GELU input, per block.</summary>
    [RecipeSetting(Doc = "fraction of MLP hidden units active (GELU input > 0) per block", Default = "false")]
    public bool Sparsity { get; init; }
    /// <summary>Teacher test error against I(X; F_T): a point per variant and seed, and per kept epoch under the paper protocol.</summary>
    [RecipeSetting(Doc = "teacher test error against I(X; F_T): a point per variant and seed, and per kept epoch under `protocol paper`", Default = "false")]
    public bool InformationPlane { get; init; }
    [RecipeSetting(Doc = "MI estimator of every analysis", Default = "renyi")]
    public MiEstimatorOptions Estimator { get; init; } = new RenyiEstimatorOptions(1.01, new MedianKernelWidth(1));
    /// <summary>A second estimator of another family, reported beside the first; <see cref="NoMiEstimator"/> for none.</summary>
    [RecipeSetting(Doc = "a second estimator reported beside the first", Choice = "cross_check", Default = "none")]
    public MiEstimatorOptions CrossCheck { get; init; } = new NoMiEstimator();
    /// <summary>Number of probe images (fewer when the probe split is smaller).</summary>
    [RecipeSetting("probe", Doc = "probe images (a fixed, class-stratified draw; fewer if the split is smaller)", Min = 2, Max = 10000, Default = "500")]
    public int ProbeImages { get; init; } = 500;
    [RecipeSetting(Doc = "where probe images come from; never the fine-tuning images", Default = "test")]
    public ProbeSplit ProbeSplit { get; init; } = ProbeSplit.Test;
    [RecipeSetting(Doc = "which token represents a sub-block's output H", Default = "cls")]
    public ProbeToken Token { get; init; } = ProbeToken.Cls;
}

/// <summary>Where probe images come from; never the images the teacher is fitted on.</summary>
public enum ProbeSplit
{
    [RecipeName("test", "The downstream test split.")] Test,
    [RecipeName("validation", "The held-out validation split (small in few-shot regimes).")] Validation,
}

/// <summary>Which token stands for a block's representation H.</summary>
public enum ProbeToken
{
    [RecipeName("cls", "The CLS token: the path to F_T, which is the normed CLS token.")] Cls,
    [RecipeName("mean", "The mean over all tokens.")] Mean,
}

/// <summary>The recipe's probe choices in the primitives of the data and the probe, which know no recipe.</summary>
public static class ProbeChoices
{
    /// <summary>The split the probe images are drawn from.</summary>
    public static ImageSet In(this ProbeSplit split, ExperimentData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return split switch
        {
            ProbeSplit.Test => data.Test,
            ProbeSplit.Validation => data.Validation,
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, null),
        };
    }

    public static TokenReadout Readout(this ProbeToken token) => token switch
    {
        ProbeToken.Cls => TokenReadout.Cls,
        ProbeToken.Mean => TokenReadout.Mean,
        _ => throw new ArgumentOutOfRangeException(nameof(token), token, null),
    };
}

/// <summary>A mutual-information estimator of the analyses (see docs/information.md).</summary>
[RecipeChoice("estimator")]
public abstract record MiEstimatorOptions
{
    /// <summary>The estimator these settings describe.</summary>
    public abstract IMiEstimator Create();

    /// <summary>The settings as a recipe would write them, for summaries and plots.</summary>
    public virtual string Describe() => GetType().Name;
}

/// <summary>No second estimator (the cross-check's default); never an estimator of its own.</summary>
public sealed record NoMiEstimator : MiEstimatorOptions
{
    public override IMiEstimator Create() => throw new ArgumentException("no estimator was chosen");
    public override string Describe() => "none";
}

/// <summary>Matrix-based Renyi alpha-entropy MI (Giraldo et al. 2014) on Gaussian Gram matrices.</summary>
[RecipeForm("renyi", "Matrix-based Renyi alpha-entropy MI on Gaussian Gram matrices of the probe samples (n^3 eigenvalues; the default).")]
public sealed record RenyiEstimatorOptions(
    [RecipeArg(Doc = "entropy order; 1 itself is the Shannon limit and not allowed", Min = 0, MinExclusive = true, Max = 10, Default = "1.01")] double Alpha,
    [RecipeArg(Doc = "Gaussian kernel width rule", Default = "median")] KernelWidthOptions Kernel) : MiEstimatorOptions
{
    public override IMiEstimator Create() => new RenyiMi(Alpha, Kernel);
    public override string Describe() => FormattableString.Invariant($"renyi(alpha: {Alpha}, kernel: {Kernel.Describe()})");
}

/// <summary>Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI on the top <see cref="Dims"/> principal components of each side.</summary>
[RecipeForm("ksg", "Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI on the top principal components of each side.")]
public sealed record KsgEstimatorOptions(
    [RecipeArg("k", Doc = "neighbours per sample", Min = 1, Max = 100)] int Neighbours = 5,
    [RecipeArg(Doc = "principal components kept of each side (KSG is biased in high dimension)", Min = 1, Max = 64)] int Dims = 4) : MiEstimatorOptions
{
    public override IMiEstimator Create() => new KsgMi(Neighbours, Dims);
    public override string Describe() => FormattableString.Invariant($"ksg(k: {Neighbours}, dims: {Dims})");
}

/// <summary>The Gaussian kernel width of the Renyi estimator.</summary>
[RecipeChoice("kernel_width")]
public abstract record KernelWidthOptions : IKernelWidth
{
    /// <summary>sigma given the samples' typical pairwise distance (<paramref name="medianDistance"/> computes it on demand).</summary>
    public abstract double Width(Func<double> medianDistance);

    public abstract string Describe();

    /// <summary>Throws when the width cannot work.</summary>
    public abstract void Validate();
}

/// <summary>sigma = Scale x the median pairwise Euclidean distance of the samples (invariant to feature scale).</summary>
[RecipeForm("median", "sigma = scale x the median pairwise distance of the probe samples (invariant to a common feature scale).")]
public sealed record MedianKernelWidth(
    [RecipeArg(Doc = "multiple of the median distance", Min = 0, MinExclusive = true)] double Scale = 1) : KernelWidthOptions
{
    public override double Width(Func<double> medianDistance) => Scale * medianDistance();
    public override string Describe() => FormattableString.Invariant($"median(scale: {Scale})");
    public override void Validate()
    {
        if (!(Scale > 0)) throw new ArgumentOutOfRangeException(nameof(Scale), "the median kernel's scale must be positive");
    }
}

/// <summary>A fixed sigma, in the units of the features.</summary>
[RecipeForm("fixed", "A fixed sigma in the units of the features (pixels are standardised; token features are not).")]
public sealed record FixedKernelWidth(
    [RecipeArg(Doc = "kernel width", Min = 0, MinExclusive = true)] double Sigma = 1) : KernelWidthOptions
{
    public override double Width(Func<double> medianDistance) => Sigma;
    public override string Describe() => FormattableString.Invariant($"fixed(sigma: {Sigma})");
    public override void Validate()
    {
        if (!(Sigma > 0)) throw new ArgumentOutOfRangeException(nameof(Sigma), "a fixed kernel width must be positive");
    }
}
