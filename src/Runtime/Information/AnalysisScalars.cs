using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Runtime.Reporting.TensorBoard;

namespace MiDistill.Runtime.Information;

/// <summary>
/// The MI analyses as TensorBoard scalars, in each variant's <c>analysis</c> run: MI and sparsity per
/// block (step = block, 0 = bottom), the top-k removal curve (step = k), and the information plane's
/// MI per kept fine-tuning epoch (step = epoch; the validation-chosen teacher at step 0).
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
        foreach (var p in r.Plane)
        {
            var epoch = Regex.Match(p.Checkpoint, @"^epoch (\d+)$");
            log.Scalar(TensorBoardLog.AnalysisRunName(p.Variant), "analysis/information_plane_mi", p.Bits, epoch.Success ? int.Parse(epoch.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
            log.Scalar(TensorBoardLog.AnalysisRunName(p.Variant), "analysis/information_plane_test_error", p.TestError, epoch.Success ? int.Parse(epoch.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
        }
    }
}
