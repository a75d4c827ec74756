using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Information;
using MiDistill.Runtime.Reporting.TensorBoard;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// The `analyze` stage: MI per sub-block, MLP sparsity, the top-k removal (bottleneck) analysis and
/// the information plane, for each variant; files and plots go to the run folder's analysis/.
/// Does nothing for variants that turn no analysis on.
/// </summary>
public sealed class AnalysisStage
{
    public const string Pretrained = AnalysisPhase.Pretrained, Finetuned = AnalysisPhase.Finetuned;
    private readonly RunContext _context;
    private readonly AnalysisResults _results = new();

    public AnalysisStage(RunContext context) => _context = context;

    public AnalysisResults Results => _results;

    public static bool Enabled(AnalyzeOptions a) => a.MiPerBlock || a.Bottleneck || a.Sparsity || a.InformationPlane;

    /// <summary>MI per block and sparsity of the pretrained teacher (its upstream head is irrelevant here).</summary>
    public void BeforeFinetune(ExperimentOptions options, ExperimentData data, string pretrainedPath)
    {
        var a = options.Analyze;
        if (!a.MiPerBlock && !a.Sparsity) return;
        using var teacher = options.Teacher.Model.Create(data.UpstreamClasses.Count);
        MiDistill.Runtime.Checkpoints.ModelFile.Load(teacher, pretrainedPath, Training.Stages.DamagedCacheEntry);
        teacher.to(_context.Device);
        teacher.eval();
        Probe(options, data, teacher, Pretrained);
    }

    /// <summary>Every analysis the variant asks for, on its fine-tuned teacher (left unchanged).</summary>
    public void AfterFinetune(ExperimentOptions options, ExperimentData data, VisionTransformer teacher)
    {
        if (!Enabled(options.Analyze)) return;
        Probe(options, data, teacher, Finetuned);
        Write();
    }

    /// <summary>
    /// One more point on the information plane: the teacher as kept after fine-tuning epoch
    /// <paramref name="epoch"/> (the paper's protocol keeps several).
    /// </summary>
    public void KeptCheckpoint(ExperimentOptions options, ExperimentData data, VisionTransformer teacher, int epoch)
    {
        var a = options.Analyze;
        if (!a.InformationPlane) return;
        var probeSet = ProbeSet.Select(a.ProbeSplit.In(data), a.ProbeImages, options.Data.Seed);
        if (probeSet.Count < 2) return;
        using var scope = NewDisposeScope();
        var (images, _) = probeSet.ToTensors(Enumerable.Range(0, probeSet.Count).ToArray());
        var adapter = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
        var estimator = a.Estimator.Create();
        var cross = a.CrossCheck is NoMiEstimator ? null : a.CrossCheck.Create();
        using var x = estimator.Bind(images);
        using var xCross = cross?.Bind(images);
        using var capture = TeacherProbe.Run(teacher, images, adapter.Apply, a.Token.Readout(), captureBlocks: false);
        double error = 1 - Evaluator.Accuracy(teacher, data.Test, _context.Device, adapter, _context.Workers);
        _results.Plane.Add(new PlanePoint(options.Variant, options.Run.Seed, $"epoch {epoch}", x.Estimate(capture.Features), xCross?.Estimate(capture.Features), error));
        Write();
    }

    private void Probe(ExperimentOptions options, ExperimentData data, VisionTransformer teacher, string phase)
    {
        var a = options.Analyze;
        var watch = Stopwatch.StartNew();
        var probeSet = ProbeSet.Select(a.ProbeSplit.In(data), a.ProbeImages, options.Data.Seed);
        if (probeSet.Count < 2)
        {
            _context.Output.WriteLine($"[analyze/{options.Variant}] the {a.ProbeSplit.ToString().ToLowerInvariant()} split has {probeSet.Count} image(s); MI needs at least 2, skipping the analysis");
            return;
        }
        using var scope = NewDisposeScope();
        var all = Enumerable.Range(0, probeSet.Count).ToArray();
        var (images, labels) = probeSet.ToTensors(all);
        var adapter = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
        var estimator = a.Estimator.Create();
        var cross = a.CrossCheck is NoMiEstimator ? null : a.CrossCheck.Create();
        _results.Estimator = Describe(a.Estimator);
        _results.CrossCheck = cross is null ? null : Describe(a.CrossCheck);
        // X: the probe images as normalised pixels, as the data set stores them (resizing for the
        // teacher is a fixed invertible-enough map and would only add cost).
        using var x = estimator.Bind(images);
        using var xCross = cross?.Bind(images);
        double? Cross(Tensor h) => xCross?.Estimate(h);

        bool finetuned = phase == Finetuned;
        using (var capture = TeacherProbe.Run(teacher, images, adapter.Apply, a.Token.Readout(), captureBlocks: a.MiPerBlock))
        {
            if (a.MiPerBlock)
                for (int b = 0; b < teacher.Depth; b++)
                {
                    _results.Blocks.Add(new BlockMi(options.Variant, phase, b, "attn", x.Estimate(capture.AfterAttention[b]), Cross(capture.AfterAttention[b])));
                    _results.Blocks.Add(new BlockMi(options.Variant, phase, b, "mlp", x.Estimate(capture.AfterMlp[b]), Cross(capture.AfterMlp[b])));
                }
            if (a.Sparsity)
                for (int b = 0; b < teacher.Depth; b++)
                    _results.Sparsity.Add(new BlockSparsity(options.Variant, phase, b, capture.ActiveFraction[b]));
            if (finetuned && a.InformationPlane)
            {
                double error = 1 - Evaluator.Accuracy(teacher, data.Test, _context.Device, adapter, _context.Workers);
                _results.Plane.Add(new PlanePoint(options.Variant, options.Run.Seed, "best-validation", x.Estimate(capture.Features), Cross(capture.Features), error));
            }
        }

        if (finetuned && a.Bottleneck)
        {
            var truth = labels.to(ScalarType.Int64);
            foreach (var removed in new[] { "mlp", "attn" })
                for (int k = 0; k <= teacher.Depth; k++)
                {
                    var top = Enumerable.Range(teacher.Depth - k, k).ToHashSet();
                    using var capture = TeacherProbe.Run(teacher, images, adapter.Apply, a.Token.Readout(),
                        removedAttention: removed == "attn" ? top : null, removedMlp: removed == "mlp" ? top : null, captureBlocks: false);
                    double accuracy = capture.Logits.argmax(1).eq(truth).to(ScalarType.Float64).mean().item<double>();
                    _results.Removal.Add(new RemovalPoint(options.Variant, removed, k, x.Estimate(capture.Features), Cross(capture.Features), accuracy));
                }
        }
        _context.Output.WriteLine($"[analyze/{options.Variant}] {phase}: {probeSet.Count} probe images of the {a.ProbeSplit.ToString().ToLowerInvariant()} split, {watch.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>Writes the CSV/JSON files (after every variant, so a crash keeps what was measured).</summary>
    public void Write()
    {
        if (_results.Blocks.Count + _results.Sparsity.Count + _results.Removal.Count + _results.Plane.Count == 0) return;
        AnalysisReport.WriteData(_results, AnalysisReport.Folder(_context.Folder.Path));
    }

    /// <summary>
    /// Pairs each fine-tuned teacher on the information plane with the test score (the first metric)
    /// of the student distilled from it, for the MI-student correlation.
    /// </summary>
    public void AddStudents(IEnumerable<VariantResult> results)
    {
        _results.Students.Clear();
        foreach (var result in results)
        {
            // Under the paper's protocol the reported student comes from a kept epoch's teacher.
            var checkpoint = result.TeacherEpoch is int epoch ? $"epoch {epoch}" : "best-validation";
            var point = _results.Plane.LastOrDefault(p => p.Variant == result.Variant && p.Seed == result.Seed && p.Checkpoint == checkpoint);
            if (point is null || result.Student.Count == 0) continue;
            var (metric, score) = result.Student.First();
            _results.Students.Add(new MiStudentPair(result.Variant, result.Seed, point.Bits, metric, score));
        }
    }

    /// <summary>Plots, the summary file, and the summary lines on the console.</summary>
    public void Finish()
    {
        if (_results.Blocks.Count + _results.Sparsity.Count + _results.Removal.Count + _results.Plane.Count == 0) return;
        var folder = AnalysisReport.Folder(_context.Folder.Path);
        AnalysisReport.WriteData(_results, folder);
        AnalysisPlots.WriteAll(_results, folder);
        AnalysisScalars.Write(_results, _context.TensorBoard);
        var summary = AnalysisReport.Summary(_results);
        System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "summary.md"), summary);
        _context.Output.WriteLine();
        _context.Output.Write(summary);
        _context.Output.WriteLine($"Analysis files and plots: {folder}");
    }

    private static string Describe(MiEstimatorOptions options) => options.Describe();
}
