using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Runs a compiled recipe: for each variant, pretrain (or reuse) the teacher, fine-tune it, distil
/// the student, evaluate both on the held-out test split; then print and save the result table.
/// </summary>
public static class Experiment
{
    public static ExperimentReport Run(IRecipe recipe, RunRequest request, ExperimentHooks hooks)
    {
        var variants = SelectVariants(recipe, request).Select(v => ApplyRequest(v, request)).ToList();
        var output = request.Output;
        var first = variants[0];

        torch.set_num_threads(first.Run.Threads > 0 ? first.Run.Threads : Environment.ProcessorCount);
        var device = DeviceSelector.Resolve(first.Run.Device);

        var label = variants.Count == recipe.Variants.Count ? "all" : string.Join("+", variants.Select(v => v.Variant));
        using var folder = RunFolder.Create(first.Run.OutputDirectory, recipe.Name, label, recipe.SourceText, SettingsJson.Serialize(variants));
        output.WriteLine($"MiDistill: recipe `{recipe.Name}` ({recipe.SourceFileName}), {variants.Count} variant(s), device {device.type.ToString().ToLowerInvariant()}, {torch.get_num_threads()} thread(s)");
        output.WriteLine($"run folder: {folder.Path}");

        var context = new RunContext(device, output, folder, hooks);
        var loaded = new Dictionary<string, (ImageSet Train, ImageSet Test)>();
        var results = new List<VariantResult>();
        var analysis = new Information.AnalysisStage(context); // MI diagnostics; no-op unless a variant turns them on
        foreach (var options in variants)
        {
            var watch = Stopwatch.StartNew();
            if (!loaded.TryGetValue(options.Data.Path, out var dataset))
                loaded[options.Data.Path] = dataset = FashionMnist.Load(options.Data.Path);
            var data = DataSplits.Build(dataset.Train, dataset.Test, options.Data, options.Teacher.Pretrain);
            output.WriteLine($"[{options.Variant}] data: {data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test images of classes [{string.Join(", ", data.DownstreamClasses)}]");

            var pretrained = Stages.PretrainedTeacher(context, options, data);
            analysis.BeforeFinetune(options, data, pretrained);
            using var teacher = Stages.Finetune(context, options, data, pretrained);
            analysis.AfterFinetune(options, data, teacher);
            Checkpoints.SaveAtomically(teacher, System.IO.Path.Combine(folder.CheckpointsPath, $"{options.Variant}-teacher.bin"));
            using var student = Stages.Distill(context, options, data, teacher);
            Checkpoints.SaveAtomically(student, System.IO.Path.Combine(folder.CheckpointsPath, $"{options.Variant}-student.bin"));

            var teacherInput = new InputAdapter(options.Teacher.Model.ImageSize, options.Teacher.Model.InChannels);
            var studentInput = new InputAdapter(data.Test.Height, data.Test.Channels);
            var teacherTest = Evaluator.Evaluate(teacher, data.Test, device, teacherInput, options.Evaluate.Metrics);
            var studentTest = Evaluator.Evaluate(student, data.Test, device, studentInput, options.Evaluate.Metrics);
            var result = new VariantResult(options.Variant, teacherTest, studentTest, watch.Elapsed.TotalSeconds);
            results.Add(result);
            folder.Metrics.Write("evaluate", options.Variant, 0, Prefixed(result));
            output.WriteLine($"[{options.Variant}] test: " + string.Join(", ", Prefixed(result).Select(kv => $"{kv.Key} {Percent(kv.Value)}")));
            GC.Collect();
        }

        var table = ResultTable(first.Evaluate.Metrics, results);
        table.WriteTo(folder.Path);
        output.WriteLine();
        output.WriteLine($"Results of `{recipe.Name}` (test split; teacher and student chosen on the validation split):");
        output.Write(table.ToMarkdown());
        output.WriteLine($"Saved to {folder.Path}");
        analysis.Finish();
        return new ExperimentReport(folder.Path, results);
    }

    private static IReadOnlyList<ExperimentOptions> SelectVariants(IRecipe recipe, RunRequest request)
    {
        if (request.Variants.Count == 0) return recipe.Variants;
        var known = recipe.Variants.Select(v => v.Variant).ToList();
        var unknown = request.Variants.Where(v => !known.Contains(v)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"recipe `{recipe.Name}` has no variant {string.Join(", ", unknown.Select(u => "`" + u + "`"))}; its variants are {string.Join(", ", known.Select(k => "`" + k + "`"))}");
        return recipe.Variants.Where(v => request.Variants.Contains(v.Variant)).ToList();
    }

    private static ExperimentOptions ApplyRequest(ExperimentOptions options, RunRequest request) => options with
    {
        Data = request.DataPath is null ? options.Data : options.Data with { Path = request.DataPath },
        Run = options.Run with
        {
            Threads = request.Threads ?? options.Run.Threads,
            Device = request.Device ?? options.Run.Device,
            OutputDirectory = request.OutputDirectory ?? options.Run.OutputDirectory,
            CacheDirectory = request.CacheDirectory ?? options.Run.CacheDirectory,
        },
    };

    private static Dictionary<string, double> Prefixed(VariantResult result)
    {
        var values = new Dictionary<string, double>();
        foreach (var kv in result.Teacher) values["teacher " + kv.Key] = kv.Value;
        foreach (var kv in result.Student) values["student " + kv.Key] = kv.Value;
        return values;
    }

    private static ResultsTable ResultTable(IReadOnlyList<Metric> metrics, IReadOnlyList<VariantResult> results)
    {
        var metricColumns = new[] { "teacher", "student" }
            .SelectMany(model => metrics.Select(m => model + " " + Evaluator.ColumnSuffix(m)))
            .ToList();
        var table = new ResultsTable(metricColumns.Append("time (s)"), metricColumns);
        foreach (var result in results)
        {
            var row = Prefixed(result);
            row["time (s)"] = Math.Round(result.Seconds, 1);
            table.AddRow(result.Variant, row);
        }
        return table;
    }

    private static string Percent(double value) =>
        (100 * value).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
