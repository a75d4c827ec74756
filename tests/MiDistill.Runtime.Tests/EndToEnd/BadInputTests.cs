using System;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>Bad input is one clear message, and leaves no stub run folder behind.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-badinput-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Runs => Path.Combine(_root, "runs");

    private string Cache => Path.Combine(_root, "cache");

    private (int Code, string Output, string Error) Host(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RecipeHost.Main(args, RecipeRegistry.All, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Data_that_does_not_load_fails_without_leaving_a_run_folder()
    {
        var missing = Path.Combine(_root, "no-data");
        var (code, _, error) = Host("run", "tiny", "--output", Runs, "--cache", Cache, "--data", missing);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(missing, error);
        Assert.Empty(Directory.Exists(Path.Combine(Runs, "tiny")) ? Directory.GetDirectories(Path.Combine(Runs, "tiny")) : Array.Empty<string>());
    }

    [Theory]
    [InlineData("--output", "the output folder")]
    [InlineData("--cache", "the teacher cache")]
    public void An_output_or_cache_path_that_is_a_file_says_so(string option, string what)
    {
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");
        var args = option == "--output"
            ? new[] { "run", "tiny", "--output", file, "--cache", Cache }
            : new[] { "run", "tiny", "--output", Runs, "--cache", file };
        var (code, _, error) = Host(args);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {what} (", error);
        Assert.Contains($"`{file}` is a file, not a folder", error);
        Assert.False(Directory.Exists(Runs));
    }

    [Theory]
    [InlineData("--threads", "two", "--threads expects a non-negative integer, got `two`")]
    [InlineData("--workers", "-1", "--workers expects a non-negative integer, got `-1`")]
    public void A_count_option_that_is_not_a_count_is_a_usage_error(string option, string value, string message)
    {
        var (code, _, error) = Host("run", "tiny", option, value);
        Assert.Equal(2, code);
        Assert.StartsWith("error: " + message, error);
        Assert.False(Directory.Exists(Runs));
    }

    [Fact]
    public void Resume_of_a_folder_that_does_not_exist_says_no_such_folder()
    {
        var missing = Path.Combine(_root, "runs", "tiny", "20260101-000000-all");
        var (code, _, error) = Host("resume", missing);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {missing}: no such folder", error);
    }

    [Fact]
    public void A_finished_run_keeps_no_stage_checkpoints_and_its_resume_notes_a_changed_recipe()
    {
        var report = new TinyRecipe().Run(new RunRequest { Variants = new[] { "vanilla" }, OutputDirectory = Runs, CacheDirectory = Cache, Output = TextWriter.Null });
        var checkpoints = Path.Combine(report.RunFolder, "checkpoints");
        Assert.Empty(Directory.GetFiles(checkpoints, "*.ckpt"));
        Assert.True(File.Exists(Path.Combine(checkpoints, "vanilla-seed7-teacher.safetensors")));

        var (code, output, _) = Host("resume", report.RunFolder);
        Assert.Equal(0, code);
        Assert.DoesNotContain("note:", output);

        File.AppendAllText(Path.Combine(report.RunFolder, "recipe.distill"), "# edited\n");
        (code, output, _) = Host("resume", report.RunFolder);
        Assert.Equal(0, code);
        Assert.Contains("note: recipe `tiny` (tiny.distill) has changed since this run started; resume continues with the settings the run started with (settings.json)", output);
    }
}
