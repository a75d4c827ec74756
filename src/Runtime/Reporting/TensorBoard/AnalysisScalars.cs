using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Runtime.Information;

namespace MiDistill.Runtime.Reporting.TensorBoard;

/// <summary>
/// The MI analyses as TensorBoard scalars, in each variant's <c>analysis</c> run: MI and sparsity per
/// block (step = block, 0 = bottom) and the top-k removal curve (step = k); the information plane's
/// MI and test error per kept fine-tuning epoch (step = epoch; the validation-chosen teacher at step 0)
/// in the variant and seed's own run.
/// </summary>
public static class AnalysisScalars
{
    public static void Write(AnalysisResults r, TensorBoardLog log)
    {
        foreach (var b in r.Blocks)
            log.Scalar(TensorBoardLog.AnalysisRunName(b.Variant), $"analysis/mi_{b.Phase}_{b.SubBlock}", b.Bits, b.Block);
        foreach (var s in r.Sparsity)
            log.Scalar(TensorBoardLog.AnalysisRunName(s.Variant), $"analysis/active_fraction_{s.Phase}", s.ActiveFraction, s.Block);
        foreach (var p in r.Removal)
            log.Scalar(TensorBoardLog.AnalysisRunName(p.Variant), $"analysis/bottleneck_mi_without_top_{p.Removed}", p.Bits, p.K);
        // Information-plane points belong to one replicate: they go to its variant/seed run, beside its curves.
        foreach (var p in r.Plane)
        {
            var epoch = Regex.Match(p.Checkpoint, @"^epoch (\d+)$");
            int step = epoch.Success ? int.Parse(epoch.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            log.Scalar(TensorBoardLog.RunName(p.Variant, p.Seed), "analysis/information_plane_mi", p.Bits, step);
            log.Scalar(TensorBoardLog.RunName(p.Variant, p.Seed), "analysis/information_plane_test_error", p.TestError, step);
        }
    }
}
