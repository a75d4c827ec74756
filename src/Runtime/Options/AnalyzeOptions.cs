namespace MiDistill.Runtime.Options;

// The `analyze` section: mutual-information diagnostics of the teacher. Every analysis is off unless
// a recipe asks for it, so a recipe without `analyze` costs nothing extra. No defaults here: the
// schema in src/Dsl holds them.

/// <summary>Which diagnostics run, on which probe images, with which MI estimators.</summary>
public sealed record AnalyzeOptions
{
    /// <summary>I(X; H) after every attention and MLP sub-block, before and after fine-tuning.</summary>
    public required bool MiPerBlock { get; init; }
    /// <summary>Remove the top-k MLP vs attention sub-blocks (k = 0..depth): MI of F_T and accuracy.</summary>
    public required bool Bottleneck { get; init; }
    /// <summary>Fraction of MLP hidden units with positive GELU input, per block.</summary>
    public required bool Sparsity { get; init; }
    /// <summary>Teacher test error against I(X; F_T): a point per variant and seed, and per kept epoch under the paper protocol.</summary>
    public required bool InformationPlane { get; init; }
    public required MiEstimatorOptions Estimator { get; init; }
    /// <summary>A second estimator of another family, reported beside the first; <see cref="NoMiEstimator"/> for none.</summary>
    public required MiEstimatorOptions CrossCheck { get; init; }
    /// <summary>Number of probe images (fewer when the probe split is smaller).</summary>
    public required int ProbeImages { get; init; }
    public required ProbeSplit ProbeSplit { get; init; }
    public required ProbeToken Token { get; init; }
}

/// <summary>Where probe images come from; never the images the teacher is fitted on.</summary>
public enum ProbeSplit { Test, Validation }

/// <summary>Which token stands for a block's representation H.</summary>
public enum ProbeToken { Cls, Mean }

public abstract record MiEstimatorOptions;
public sealed record NoMiEstimator : MiEstimatorOptions;
/// <summary>Matrix-based Renyi alpha-entropy MI (Giraldo et al. 2014) on Gaussian Gram matrices.</summary>
public sealed record RenyiEstimatorOptions(double Alpha, KernelWidthOptions Kernel) : MiEstimatorOptions;
/// <summary>Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI on the top <see cref="Dims"/> principal components of each side.</summary>
public sealed record KsgEstimatorOptions(int Neighbours, int Dims) : MiEstimatorOptions;

public abstract record KernelWidthOptions;
/// <summary>sigma = Scale x the median pairwise Euclidean distance of the samples (invariant to feature scale).</summary>
public sealed record MedianKernelWidth(double Scale) : KernelWidthOptions;
/// <summary>A fixed sigma, in the units of the features.</summary>
public sealed record FixedKernelWidth(double Sigma) : KernelWidthOptions;
