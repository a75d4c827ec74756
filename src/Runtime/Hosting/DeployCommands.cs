using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Export;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Hosting;

/// <summary>
/// The `export` and `predict` commands (docs/deploy.md): a run's trained models as ONNX files, and
/// an ONNX model run in ONNX Runtime on image files. Neither needs the recipe's code: the run
/// folder's settings.json and weights are enough.
/// </summary>
public static class DeployCommands
{
    internal static IEnumerable<Command> Commands() => new[] { ExportCommand(), PredictCommand() };

    private static Command ExportCommand()
    {
        var folder = new Argument<string>("run-folder") { Description = "the folder of a run whose students are distilled" };
        var variant = new Option<string?>("--variant") { Description = "only this variant (default: every variant)", HelpName = "name" };
        var seed = HostCommandLine.Integer("--seed", "n", "only this seed (default: every seed)", 0);
        var output = new Option<string?>("--output") { Description = "where the .onnx files go (default: the run folder's export/)", HelpName = "dir" };
        var teacher = new Option<bool>("--teacher") { Description = "also export each unit's fine-tuned teacher (its MLP reweighting folded in)" };
        var int8 = new Option<bool>("--int8") { Description = "also write each model with int8 weights (.int8.onnx) and print both files' test-split accuracy" };
        var command = new Command("export", "write a run's distilled students (and with --teacher its teachers) as ONNX files, each checked in ONNX Runtime") { folder, variant, seed, output, teacher, int8 };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(folder)!;
            var written = Export(path, parse.GetValue(variant), parse.GetValue(seed), parse.GetValue(output) ?? Path.Combine(path, ModelExport.FolderName),
                parse.GetValue(teacher), parse.InvocationConfiguration.Output, parse.GetValue(int8));
            return written.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>Exports the selected units of a run folder; a unit without a distilled student is reported and skipped.</summary>
    public static IReadOnlyList<ExportedModel> Export(string runFolder, string? variant, int? seed, string outputFolder, bool withTeacher, TextWriter output, bool int8 = false)
    {
        var settings = Path.Combine(runFolder, RunFolder.SettingsFileName);
        if (!Directory.Exists(runFolder)) throw new DirectoryNotFoundException($"{runFolder}: no such folder; `export` takes the folder of a run");
        if (!File.Exists(settings)) throw new FileNotFoundException($"{runFolder}: not a MiDistill run folder ({RunFolder.SettingsFileName} is missing)");
        var variants = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(settings)) ?? new List<ExperimentOptions>();
        if (variant is not null && variants.All(v => v.Variant != variant))
            throw new UsageException($"the run has no variant `{variant}`; it has {string.Join(", ", variants.Select(v => "`" + v.Variant + "`"))}");
        var units = variants.Where(v => variant is null || v.Variant == variant).SelectMany(RunPlan.Replicates)
            .Where(u => seed is null || u.Options.Run.Seed == seed).ToList();
        if (units.Count == 0) throw new UsageException($"the run has no seed {seed}");

        var checkpoints = Path.Combine(runFolder, RunFolder.CheckpointsFolderName);
        RunState<VariantResult>? state = null;
        var loaded = new Dictionary<DataOptions, LoadedData>();
        var written = new List<ExportedModel>();
        var cpu = TorchSharp.torch.CPU;
        foreach (var unit in units)
        {
            var options = unit.Options;
            var student = unit.Stem(checkpoints) + "-student.safetensors";
            var teacher = unit.Stem(checkpoints) + "-teacher.safetensors";
            if (Training.Steps.PaperSelectionStep.Selects(unit))
            {
                // `protocol paper` keeps a student per teacher epoch; the one to ship is the one the selection reported.
                state ??= RunState<VariantResult>.Load(checkpoints);
                if (!state.Results.TryGetValue(unit.Name, out var result) || result.TeacherEpoch is not int epoch)
                {
                    output.WriteLine($"[{unit.Name}] under `protocol paper` the exported student is the one the selection reports, and this unit has no recorded selection yet "
                        + $"({Path.Combine(RunFolder.CheckpointsFolderName, RunState<VariantResult>.FileName)}): skipped");
                    continue;
                }
                output.WriteLine($"[{unit.Name}] `protocol paper` selected teacher epoch {epoch} on the test split: exporting the student distilled from it"
                    + (withTeacher ? " and that teacher" : ""));
                student = Training.Steps.PaperSelectionStep.StudentFile(unit.Stem(checkpoints), epoch);
                teacher = Training.Steps.PaperSelectionStep.TeacherFile(unit.Stem(checkpoints), epoch);
            }
            if (!File.Exists(student))
            {
                output.WriteLine($"[{unit.Name}] no distilled student in the run folder ({Path.GetFileName(student)}): skipped");
                continue;
            }
            var data = Training.Steps.DataStep.Splits(options, loaded);
            using (var model = Stages.LoadStudent(options, data, student, cpu))
                written.Add(Write(unit, data, model, Stages.StudentInput(options, data), "student", outputFolder, int8, output));
            if (withTeacher && unit.UsesTeacher && File.Exists(teacher))
            {
                using var model = Stages.LoadTeacher(options, data, teacher, cpu);
                written.Add(Write(unit, data, model, InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics), "teacher", outputFolder, int8, output));
            }
            else if (withTeacher)
                output.WriteLine($"[{unit.Name}] no fine-tuned teacher in the run folder: only the student was exported");
        }
        if (written.Count == 0) output.WriteLine("nothing exported: no unit of the selection has a distilled student yet");
        return written;
    }

    private static ExportedModel Write(PlanUnit unit, ExperimentData data, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, InputAdapter adapter,
        string role, string outputFolder, bool int8, TextWriter output)
    {
        var path = Path.Combine(outputFolder, ModelExport.FileName(unit.Options, role));
        var written = ModelExport.Write(model, adapter, unit.Options, data, role, path);
        output.WriteLine($"[{unit.Name}] {role}: " + ModelExport.Describe(written));
        if (int8)
            output.WriteLine($"[{unit.Name}] {role} with int8 weights: " + ModelExport.Describe(ModelExport.WriteInt8(model, adapter, unit.Options, data, role, path)));
        return written;
    }

    private static Command PredictCommand()
    {
        var model = new Argument<string>("model") { Description = "an .onnx file written by `export`" };
        var images = new Argument<string>("image-or-folder") { Description = "a PNG or JPEG file, a folder of them, or a folder with one subfolder per class (then accuracy is printed too)" };
        var top = HostCommandLine.Integer("--top", "k", "classes printed per image (default 1)", 1);
        var csv = new Option<string?>("--csv") { Description = "also write every prediction to this CSV file", HelpName = "file.csv" };
        var threads = HostCommandLine.Integer("--threads", "n", "ONNX Runtime's threads (default 1)", 1);
        var command = new Command("predict", "run an exported ONNX model in ONNX Runtime on images, decoded and resized as training decodes them") { model, images, top, csv, threads };
        command.SetAction(parse =>
        {
            Predictor.Run(parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(top) ?? 1, parse.GetValue(csv), parse.GetValue(threads) ?? 1, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return command;
    }
}
