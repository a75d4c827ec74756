using System;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Api;

/// <summary>
/// docs/api.md's examples, compiled and run here on tiny Fashion-MNIST settings. The text between
/// each `// api.md` marker pair must appear verbatim in docs/api.md, so the page cannot drift.
/// </summary>
public sealed class ApiExampleTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-api-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private RunRequest Quiet => new() { OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache"), Output = TextWriter.Null };

    private static ExperimentOptions Tiny()
    {
        // api.md:begin options
        var options = new ExperimentOptions
        {
            Recipe = "from_csharp",
            Teacher = new TeacherOptions
            {
                Model = new VitOptions { Name = "micro", PatchSize = 7, EmbedDim = 32, Depth = 2, Heads = 2 },
                Pretrain = new PretrainOptions { Classes = [0, 1, 2, 3, 4], Epochs = 1, MaxImages = 2000 },
            },
            Data = new DataOptions { Classes = [5, 6, 7, 8, 9], Regime = new FewShotRegime(PerClass: 20), ValidationFraction = 0.2, MaxTestImages = 500 },
            Finetune = new FinetuneOptions { Epochs = 3, BatchSize = 16 },
            Distill = new DistillOptions { Epochs = 3, BatchSize = 16, Loss = new KdLossOptions(Temperature: 4, Weight: 0.7) },
            Run = new RunOptions { Threads = 1 },
        };
        // api.md:end
        return options;
    }

    [Fact]
    public void Variants_built_in_csharp_run_like_a_recipe()
    {
        var options = Tiny();
        options = options with { Run = options.Run with { OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache") } };
        // api.md:begin run
        var vanilla = options with { Variant = "vanilla", Finetune = options.Finetune with { Objective = new CrossEntropyObjective() } };
        var sam = options with { Variant = "sam" };
        ExperimentReport report = Experiment.Run([vanilla, sam]);
        foreach (var result in report.Results)
            Console.WriteLine($"{result.Variant}: teacher {result.Teacher["acc"]:P1}, student {result.Student["acc"]:P1}");
        // api.md:end
        AssertDocumented("options");
        AssertDocumented("run");
        Assert.Equal(new[] { "vanilla", "sam" }, report.Results.Select(r => r.Variant));
        Assert.All(report.Results, r => Assert.True(r.Student["acc"] > 0.3, $"{r.Variant} student {r.Student["acc"]:P1} (chance 20%)"));
        Assert.True(File.Exists(Path.Combine(report.RunFolder, "results.md")));
        // A run from C# resumes from its folder alone.
        var resumed = Experiment.Resume(report.RunFolder, Quiet);
        Assert.Equal(report.Results.Select(r => r.Student["acc"]), resumed.Results.Select(r => r.Student["acc"]));
    }

    [Fact]
    public void A_pipeline_composed_from_the_public_stages()
    {
        var options = Tiny() with { Run = new RunOptions { Threads = 1, OutputDirectory = Path.Combine(_root, "runs"), CacheDirectory = Path.Combine(_root, "cache") } };
        // api.md:begin stages
        using var folder = RunFolder.Create(options.Run.OutputDirectory, "composed", "all", "", SettingsJson.Serialize(new[] { options }));
        var context = new RunContext(CPU, Console.Out, folder, new ExperimentHooks());
        var loaded = options.Data.Source.Load(options.Data.Path);
        var data = DataSplits.Build(loaded.Train, loaded.Test, options.Data.Splits(Stages.Upstream(options)));
        string pretrained = Stages.PretrainedTeacher(context, options, data);
        using var teacher = Stages.Finetune(context, options, data, pretrained, new StageFiles(Path.Combine(folder.CheckpointsPath, "finetune.ckpt")));
        using var student = Stages.Distill(context, options, data, teacher, new StageFiles(Path.Combine(folder.CheckpointsPath, "distill.ckpt")));
        double accuracy = Evaluator.Accuracy(student, data.Test, context.Device, Stages.StudentInput(options, data));
        // api.md:end
        AssertDocumented("stages");
        Assert.InRange(accuracy, 0.3, 1.0);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiDistill.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (MiDistill.sln) is not above " + AppContext.BaseDirectory);
    }

    private static void AssertDocumented(string example)
    {
        var source = File.ReadAllText(Path.Combine(RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Api", "ApiExampleTests.cs"));
        int begin = source.IndexOf("// api.md:begin " + example, StringComparison.Ordinal);
        int end = source.IndexOf("// api.md:end", begin, StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0);
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "api.md"));
        foreach (var line in lines)
            Assert.True(docs.Contains(line, StringComparison.Ordinal), $"docs/api.md lacks this line of the `{example}` example: {line}");
    }
}
