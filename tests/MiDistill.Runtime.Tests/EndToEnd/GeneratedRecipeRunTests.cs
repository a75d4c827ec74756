using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>Runs EndToEnd/tiny.distill through its generated class on real Fashion-MNIST.</summary>
public sealed class GeneratedRecipeRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Tiny_recipe_runs_every_stage_and_writes_the_run_folder()
    {
        var recipe = new TinyRecipe();
        var output = new StringWriter();
        var report = recipe.Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Output = output,
        });

        Assert.Equal(new[] { "vanilla", "remem" }, report.Results.Select(r => r.Variant));
        // One epoch on 40 images proves the plumbing, not the method: the student is near chance
        // (20%). What the table says must be what the saved models score on the test split.
        var data = SavedModelScore.Data(TinyRecipe.Settings.Vanilla, replicate: 0);
        foreach (var result in report.Results)
        {
            Assert.Equal(new[] { "acc", "bal acc" }, result.Teacher.Keys);
            Assert.Equal(new[] { "acc", "bal acc" }, result.Student.Keys);
            var variant = recipe.Variants.Single(v => v.Variant == result.Variant);
            SavedModelScore.Equal(SavedModelScore.Teacher(report.RunFolder, variant, result.Seed, data), result.Teacher, $"{result.Variant}'s teacher");
            SavedModelScore.Equal(SavedModelScore.Student(report.RunFolder, variant, result.Seed, data), result.Student, $"{result.Variant}'s student");
        }

        var folder = report.RunFolder;
        Assert.Equal(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "EndToEnd", "tiny.distill.copy")), File.ReadAllText(Path.Combine(folder, "recipe.distill")));
        var metrics = File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var stages = metrics.Select(m => (m.GetProperty("stage").GetString(), m.GetProperty("variant").GetString())).ToList();
        Assert.Contains(("pretrain", "shared"), stages);
        Assert.Equal(2, stages.Count(s => s == ("finetune", "remem")));
        Assert.Equal(1, stages.Count(s => s == ("distill", "vanilla")));
        Assert.Equal(2, stages.Count(s => s.Item1 == "evaluate"));
        Assert.True(File.Exists(Path.Combine(folder, "checkpoints", "remem-seed7-teacher.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, "checkpoints", "vanilla-seed7-student.safetensors")));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, "results.csv")).Length);
        Assert.Contains("| remem", File.ReadAllText(Path.Combine(folder, "results.md")));
        Assert.Contains("\"kind\": \"SamObjective\"", File.ReadAllText(Path.Combine(folder, "settings.json")));

        // The user's partial-class hook saw every epoch of every stage: pretrain 1, then per variant finetune 2 + distill 1.
        Assert.Equal(1 + 2 * (2 + 1), recipe.Epochs.Count);

        // A second run reuses the cached pretrained teacher instead of pretraining again.
        var again = new StringWriter();
        new TinyRecipe().Run(new RunRequest
        {
            OutputDirectory = Path.Combine(_root, "runs"),
            CacheDirectory = Path.Combine(_root, "cache"),
            Variants = new[] { "remem" },
            Output = again,
        });
        Assert.Contains("using cached teacher", again.ToString());
    }

    [Fact]
    public void Generated_settings_carry_the_recipe_values_and_the_schema_defaults()
    {
        var remem = TinyRecipe.Settings.Remem;
        Assert.Equal(new MlpReweight(1, 0.5, new RampReweightSchedule(2)), remem.Finetune.Reweight);
        Assert.Equal(new SamObjective(0.05), remem.Finetune.Objective);
        Assert.IsType<CrossEntropyObjective>(TinyRecipe.Settings.Vanilla.Finetune.Objective);
        Assert.Equal(new[] { 5, 6, 7, 8, 9 }, remem.Data.Classes);
        Assert.Equal(32, Assert.IsType<VitOptions>(remem.Teacher.Model).EmbedDim);
        // The source's own default location: the empty path, which Fashion-MNIST reads as Debian's folder.
        Assert.Equal(new FashionMnistSource(), remem.Data.Source);
        Assert.Equal("", remem.Data.Path);
        Assert.Equal(DeviceKind.Auto, remem.Run.Device);
    }

    [Fact]
    public void Unknown_variant_is_an_error_that_lists_the_variants()
    {
        var e = Assert.Throws<ArgumentException>(() => new TinyRecipe().Run(new RunRequest { Variants = new[] { "remme" }, Output = TextWriter.Null }));
        Assert.Equal("recipe `tiny` has no variant `remme`; its variants are `vanilla`, `remem`", e.Message);
    }

    [Fact]
    public void Cuda_with_the_cpu_backend_fails_with_instructions()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DeviceSelector.Resolve(DeviceKind.Cuda));
        Assert.Contains("-p:MiDistillTorchBackend=cuda", e.Message);
        Assert.Contains("device cpu", e.Message);
    }

    // One recipe that sets only the class lists (defaults.distill), against C# options that set only the class lists.
    private static readonly ExperimentOptions DefaultsFromCSharp = new()
    {
        Recipe = "defaults",
        Teacher = new TeacherOptions { Pretrain = new PretrainOptions { Classes = new[] { 0, 1, 2, 3, 4 } } },
        Data = new DataOptions { Classes = new[] { 5, 6, 7, 8, 9 } },
    };

    [Fact]
    public void The_option_records_defaults_are_the_recipe_languages_defaults() =>
        Assert.Equal(MiDistill.Runtime.RunFolders.SettingsJson.Serialize(DefaultsFromCSharp), MiDistill.Runtime.RunFolders.SettingsJson.Serialize(DefaultsRecipe.Settings.Default));

    // Where each setting with a default is: the section records' [RecipeSetting] properties, and
    // PretrainOptions' (the `upstream` form's arguments), found the way the generator finds them.
    private static IEnumerable<(string Label, Func<ExperimentOptions, object?> Record, PropertyInfo Property)> SettingsWithDefaults()
    {
        var holders = typeof(ExperimentOptions).GetProperties()
            .Where(p => p.PropertyType.GetCustomAttribute<RecipeSectionAttribute>() is not null)
            .Select(p => (Name: p.PropertyType.GetCustomAttribute<RecipeSectionAttribute>()!.Name, Record: (Func<ExperimentOptions, object?>)p.GetValue, Type: p.PropertyType))
            .Append(("upstream", o => o.Teacher.Pretrain, typeof(PretrainOptions)));
        foreach (var (name, record, type) in holders)
            foreach (var property in type.GetProperties())
                if (property.GetCustomAttribute<RecipeSettingAttribute>() is { Default: not null })
                    yield return ($"{name}.{property.Name}", record, property);
    }

    public static TheoryData<string> SettingLabels() => new(SettingsWithDefaults().Select(s => s.Label));

    /// <summary>
    /// A setting's default is written twice, as the property's initialiser (for C# callers) and as its
    /// attribute's Default in recipe syntax (what the generator reads: initialisers are not in
    /// metadata). The recipe that sets nothing optional must compile to every initial value.
    /// </summary>
    [Theory]
    [MemberData(nameof(SettingLabels))]
    public void Every_settings_recipe_default_is_its_records_initial_value(string label)
    {
        var (_, record, property) = SettingsWithDefaults().Single(s => s.Label == label);
        string Value(ExperimentOptions options) => JsonSerializer.Serialize(property.GetValue(record(options)), property.PropertyType, MiDistill.Runtime.RunFolders.SettingsJson.Options);
        Assert.Equal(Value(DefaultsFromCSharp), Value(DefaultsRecipe.Settings.Default));
    }

    [Fact]
    public void Every_section_and_its_settings_are_compared_with_the_recipe_defaults()
    {
        var labels = SettingsWithDefaults().Select(s => s.Label).ToList();
        Assert.Equal(new[] { "teacher", "data", "finetune", "distill", "evaluate", "run", "analyze", "export", "upstream" }, labels.Select(l => l.Split('.')[0]).Distinct());
        Assert.Contains("data.ValidationFraction", labels);
        Assert.Contains("upstream.Epochs", labels);
        Assert.True(labels.Count >= 55, $"only {labels.Count} settings with defaults found");
    }
}
