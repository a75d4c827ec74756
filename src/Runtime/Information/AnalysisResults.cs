using System.Collections.Generic;

namespace MiDistill.Runtime.Information;

/// <summary>I(X; H) after one sub-block. <see cref="Phase"/> is <c>pretrained</c> or <c>finetuned</c>; <see cref="SubBlock"/> <c>attn</c> or <c>mlp</c>.</summary>
public sealed record BlockMi(string Variant, string Phase, int Block, string SubBlock, double Bits, double? CrossCheckBits);

public sealed record BlockSparsity(string Variant, string Phase, int Block, double ActiveFraction);

/// <summary>The teacher with its top <see cref="K"/> sub-blocks of one kind (<c>mlp</c> or <c>attn</c>) removed.</summary>
public sealed record RemovalPoint(string Variant, string Removed, int K, double Bits, double? CrossCheckBits, double ProbeAccuracy);

/// <summary>One teacher (of one variant and seed) on the information plane: test error against I(X; F_T).</summary>
public sealed record PlanePoint(string Variant, int Seed, string Checkpoint, double Bits, double? CrossCheckBits, double TestError);

/// <summary>Everything the diagnostics of one run measured.</summary>
/// <summary>When a teacher was measured: as pretrained, or after fine-tuning.</summary>
public static class AnalysisPhase
{
    public const string Pretrained = "pretrained", Finetuned = "finetuned";
}

public sealed class AnalysisResults
{
    public string Estimator { get; set; } = "";
    public string? CrossCheck { get; set; }
    public List<BlockMi> Blocks { get; } = new();
    public List<BlockSparsity> Sparsity { get; } = new();
    public List<RemovalPoint> Removal { get; } = new();
    public List<PlanePoint> Plane { get; } = new();
    /// <summary>Each fine-tuned teacher's I(X; F_T) (from <see cref="Plane"/>) beside its student's test score.</summary>
    public List<MiStudentPair> Students { get; } = new();
}
