using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Tests.Sweeps;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;
using MiDistill.Runtime.Training.Steps;
using TorchSharp;

namespace MiDistill.Runtime.Tests.Export;

/// <summary>
/// Export under `protocol paper`, which keeps one student per kept teacher epoch: the run's export
/// step and the `export` command write the student the selection reported (and that epoch's
/// teacher), byte for byte the file <see cref="ModelExport.Write"/> makes from that epoch's kept
/// weights and not the other epoch's.
/// </summary>
public sealed class ExportPaperTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-export-paper-").FullName;

    static ExportPaperTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string ImageFolder => Path.Combine(Executable.RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Regression", "Data", "folder");

    [Fact]
    public void Export_writes_the_student_the_paper_selection_reported()
    {
        var console = new StringWriter();
        var report = new ExportPaperRecipe().Run(new RunRequest
        {
            DataPath = ImageFolder,
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = console,
        });
        var result = Assert.Single(report.Results);
        int selected = Assert.IsType<int>(result.TeacherEpoch);
        int other = selected == 1 ? 2 : 1;
        Assert.Contains($"`protocol paper` selected teacher epoch {selected} on the test split: exporting the student distilled from it and that teacher", console.ToString());
        var student = Path.Combine(report.RunFolder, "export", $"default-seed{result.Seed}-student.onnx");
        var teacher = Path.Combine(report.RunFolder, "export", $"default-seed{result.Seed}-teacher.onnx");
        Assert.True(File.Exists(student), console.ToString());
        Assert.True(File.Exists(teacher), console.ToString());

        // The files export would make from each epoch's kept weights: the step's are the selected epoch's.
        var options = SettingsJson.Deserialize<List<ExperimentOptions>>(File.ReadAllText(Path.Combine(report.RunFolder, RunFolder.SettingsFileName)))!.Single();
        var unit = RunPlan.Replicates(options).Single();
        var data = DataStep.Splits(unit.Options, new Dictionary<DataOptions, LoadedData>());
        var stem = unit.Stem(Path.Combine(report.RunFolder, RunFolder.CheckpointsFolderName));
        byte[] StudentOf(int epoch)
        {
            var path = Path.Combine(_root, $"student-epoch{epoch}.onnx");
            using var model = Stages.LoadStudent(unit.Options, data, PaperSelectionStep.StudentFile(stem, epoch), torch.CPU);
            ModelExport.Write(model, Stages.StudentInput(unit.Options, data), unit.Options, data, "student", path);
            return File.ReadAllBytes(path);
        }
        byte[] TeacherOf(int epoch)
        {
            var path = Path.Combine(_root, $"teacher-epoch{epoch}.onnx");
            using var model = Stages.LoadTeacher(unit.Options, data, PaperSelectionStep.TeacherFile(stem, epoch), torch.CPU);
            ModelExport.Write(model, InputAdapter.ForTeacher(unit.Options.Teacher, data.Train.Statistics), unit.Options, data, "teacher", path);
            return File.ReadAllBytes(path);
        }
        Assert.Equal(StudentOf(selected), File.ReadAllBytes(student));
        Assert.NotEqual(StudentOf(other), File.ReadAllBytes(student));
        Assert.Equal(TeacherOf(selected), File.ReadAllBytes(teacher));
        Assert.NotEqual(TeacherOf(other), File.ReadAllBytes(teacher));

        // The command, from the run folder alone: the same files.
        var again = Path.Combine(_root, "again");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RecipeHost.Main(new[] { "export", report.RunFolder, "--output", again, "--teacher" }, RecipeRegistry.All, output, error);
        Assert.True(code == ExitCodes.Ok, error.ToString() + output);
        Assert.Contains($"`protocol paper` selected teacher epoch {selected} on the test split", output.ToString());
        Assert.Equal(File.ReadAllBytes(student), File.ReadAllBytes(Path.Combine(again, Path.GetFileName(student))));
        Assert.Equal(File.ReadAllBytes(teacher), File.ReadAllBytes(Path.Combine(again, Path.GetFileName(teacher))));
    }

    [Fact]
    public void The_export_command_skips_a_paper_unit_without_a_recorded_selection_and_says_why()
    {
        // A run folder whose settings are the recipe's, before any unit finished.
        var run = Path.Combine(_root, "unfinished");
        Directory.CreateDirectory(Path.Combine(run, RunFolder.CheckpointsFolderName));
        var options = ((IRecipe)new ExportPaperRecipe()).Variants.Single();
        File.WriteAllText(Path.Combine(run, RunFolder.SettingsFileName), SettingsJson.Serialize(new List<ExperimentOptions> { options }));
        var output = new StringWriter();
        var written = DeployCommands.Export(run, null, null, Path.Combine(run, "export"), withTeacher: false, output);
        Assert.Empty(written);
        Assert.Contains("under `protocol paper` the exported student is the one the selection reports, and this unit has no recorded selection yet", output.ToString());
    }
}
