using System;
using System.Collections.Generic;
using System.IO;
using MiDistill.Recipes;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// A run whose teacher starts from a PyTorch-made checkpoint (the parity fixture): pretraining is
/// skipped, the checkpoint's 10-class head is replaced for the 5 downstream classes, and grayscale
/// images feed its 3-channel patch embedding. Built from plain C# options, as a user without a
/// recipe would.
/// </summary>
public sealed class CheckpointTeacherRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-ckpt-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private sealed class OptionsRecipe(ExperimentOptions options, string? projectDirectory = null) : IRecipe
    {
        public string Name => options.Recipe;
        public string? ProjectDirectory => projectDirectory;
        public string SourceFileName => "(plain C#)";
        public string SourceText => "";
        public IReadOnlyList<ExperimentOptions> Variants => new[] { options };
        public ExperimentReport Run(RunRequest request) => Experiment.Run(this, request, new ExperimentHooks());
        public ExperimentReport Resume(string runFolder, RunRequest request) => Experiment.Resume(this, runFolder, request, new ExperimentHooks());
    }

    [Fact]
    public void Teacher_from_a_safetensors_checkpoint_runs_without_pretraining()
    {
        var tiny = TinyRecipe.Settings.Remem;
        var options = tiny with
        {
            Recipe = "from_checkpoint",
            Teacher = new TeacherOptions
            {
                // The fixture's architecture: image 32, patch 8, 3 channels, width 48, 3 blocks, 3 heads.
                Model = new VitOptions { Name = "vit_micro", ImageSize = 32, PatchSize = 8, InChannels = 3, EmbedDim = 48, Depth = 3, Heads = 3, MlpRatio = 4 },
                Pretrain = null,
                Weights = new CheckpointWeights(Path.Combine(AppContext.BaseDirectory, "Fixtures", "vit_micro.safetensors"), Normalization.Inception),
            },
            Finetune = tiny.Finetune with { Epochs = 1 },
        };
        var log = new StringWriter();
        var report = new OptionsRecipe(options).Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = log,
        });

        var text = log.ToString();
        Assert.Contains("[pretrain] skipped: the teacher starts from checkpoint", text);
        Assert.Contains("checkpoint head skipped", text);
        var result = Assert.Single(report.Results);
        // The checkpoint's teacher, fine-tuned one epoch: its numbers are what the saved teacher scores
        // with the checkpoint's input (32x32, 3 channels, inception normalisation), and the student's likewise.
        var data = SavedModelScore.Data(options, replicate: 0);
        SavedModelScore.Equal(SavedModelScore.Teacher(report.RunFolder, options, result.Seed, data), result.Teacher, "the teacher");
        SavedModelScore.Equal(SavedModelScore.Student(report.RunFolder, options, result.Seed, data), result.Student, "the student");
        Assert.False(Directory.Exists(Path.Combine(_root, "cache", "teachers")));
    }

    [Fact]
    public void A_relative_checkpoint_path_means_the_file_in_the_recipes_project_folder_not_the_working_directory()
    {
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "vit_micro.safetensors")));
        var tiny = TinyRecipe.Settings.Remem;
        var options = tiny with
        {
            Recipe = "relative_checkpoint",
            Teacher = new TeacherOptions
            {
                Model = new VitOptions { Name = "vit_micro", ImageSize = 32, PatchSize = 8, InChannels = 3, EmbedDim = 48, Depth = 3, Heads = 3, MlpRatio = 4 },
                Pretrain = null,
                Weights = new CheckpointWeights("vit_micro.safetensors", Normalization.Inception),
            },
            Finetune = tiny.Finetune with { Epochs = 1 },
            Distill = tiny.Distill with { Epochs = 1 },
        };
        var report = new OptionsRecipe(options, fixtures).Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        });
        Assert.Single(report.Results);
        // settings.json records the file the run read, so a resume from anywhere reads it again.
        var settings = File.ReadAllText(Path.Combine(report.RunFolder, "settings.json"));
        Assert.Contains(System.Text.Json.JsonSerializer.Serialize(Path.Combine(fixtures, "vit_micro.safetensors")), settings);
    }

    [Fact]
    public void Missing_checkpoint_on_the_command_line_is_a_message_not_a_stack_trace()
    {
        var tiny = TinyRecipe.Settings.Remem;
        var missing = Path.Combine(_root, "nowhere.safetensors");
        var options = tiny with
        {
            Recipe = "from_checkpoint",
            Teacher = tiny.Teacher with { Pretrain = null, Weights = new CheckpointWeights(missing, Normalization.Inception) },
            Run = tiny.Run with { OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache") },
        };
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MiDistill.Runtime.Hosting.RecipeHost.Main(new[] { "run", "from_checkpoint" }, new[] { new OptionsRecipe(options) }, output, error);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: checkpoint '{missing}': file not found", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Fact]
    public void Missing_checkpoint_is_an_error_naming_the_file()
    {
        var tiny = TinyRecipe.Settings.Remem;
        var missing = Path.Combine(_root, "nowhere.safetensors");
        var options = tiny with
        {
            Teacher = tiny.Teacher with { Pretrain = null, Weights = new CheckpointWeights(missing, Normalization.Inception) },
        };
        var e = Assert.ThrowsAny<Exception>(() => new OptionsRecipe(options).Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = TextWriter.Null,
        }));
        Assert.Contains(missing, e.Message);
        Assert.Contains("file not found", e.Message);
    }
}
