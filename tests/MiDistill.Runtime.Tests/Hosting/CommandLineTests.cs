using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Recipes;
using MiDistill.Runtime.Hosting;

namespace MiDistill.Runtime.Tests.Hosting;

/// <summary>
/// The experiment executable's command line, through <see cref="RecipeHost.Main(string[], IReadOnlyList{Training.IRecipe}, TextWriter, TextWriter)"/>
/// as the generated Program.cs calls it: help per command, suggestions, exit codes, what `resume` takes.
/// None of these runs a recipe.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Output, string Error) Host(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RecipeHost.Main(args, RecipeRegistry.All, output, error);
        return (code, output.ToString().Replace("\r", ""), error.ToString().Replace("\r", ""));
    }

    /// <summary>Every command of the executable, read from the parser itself so a new command is covered too.</summary>
    private static List<string> CommandNames() => RecipeHost.CommandLine(RecipeRegistry.All).Subcommands.Select(c => c.Name).ToList();

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var name in CommandNames()) data.Add(name);
        return data;
    }

    public static TheoryData<string> NotResumable()
    {
        var data = new TheoryData<string>();
        foreach (var o in RunOverrides.All.Where(o => !o.Resume)) data.Add(o.Name);
        return data;
    }

    // An option as the help lists it: at the start of a line, after the indentation.
    private static bool Lists(string help, string option) => Regex.IsMatch(help, $@"^\s+{Regex.Escape(option)}\b", RegexOptions.Multiline);

    [Fact]
    public void The_executable_has_the_commands_it_always_had()
    {
        var names = CommandNames();
        Assert.Equal(new[] { "list", "show", "run", "resume", "report", "compare", "export", "predict", "plan", "submit", "unit", "status", "collect" }, names);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help_listing_its_arguments_options_and_exit_codes(string name)
    {
        var (code, output, error) = Host(name, "--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("", error);
        var command = RecipeHost.CommandLine(RecipeRegistry.All).Subcommands.Single(c => c.Name == name);
        Assert.Contains(command.Description!, output);
        Assert.Matches($@"Usage:\n\s+\S+ {name}\b", output);
        foreach (var argument in command.Arguments)
            Assert.Contains($"<{argument.HelpName ?? argument.Name}>", output);
        foreach (var option in command.Options.Where(o => !o.Hidden))
            Assert.True(Lists(output, option.Name), $"`{name} --help` does not list {option.Name}:\n{output}");
        Assert.True(Lists(output, "-h, --help"), output);
        Assert.Contains("Exit codes:\n  0  success\n  1  an expected failure", output);
        Assert.Contains("  2  a usage error", output);

        // `help <command>` is the same page.
        Assert.Equal((code, output, error), Host("help", name));
    }

    [Fact]
    public void Run_help_lists_every_override_of_the_table_and_resume_help_only_those_resume_takes()
    {
        var run = Host("run", "--help").Output;
        var resume = Host("resume", "--help").Output;
        foreach (var o in RunOverrides.All)
        {
            Assert.Contains($"{o.Name} <{o.ValueName}>", run);
            Assert.Contains(o.Description, run);
            Assert.Equal(o.Resume, Lists(resume, o.Name));
        }
        foreach (var verbosity in new[] { "--quiet", "--verbose" })
        {
            Assert.True(Lists(run, verbosity));
            Assert.True(Lists(resume, verbosity));
        }
        // What the table says today, so a change to it is a decision, not an accident.
        Assert.Equal(new[] { "--seed", "--threads", "--workers", "--device", "--data" }, RunOverrides.Resumable.Select(o => o.Name));
    }

    [Fact]
    public void Without_arguments_the_commands_are_listed_and_the_exit_code_is_2()
    {
        var (code, output, _) = Host();
        Assert.Equal(ExitCodes.Usage, code);
        foreach (var name in CommandNames())
            Assert.Matches($@"(?m)^\s+{name}\b", output);
        Assert.Contains("Exit codes:", output);
        Assert.Equal(Host("--help").Output, output);
        Assert.Equal(ExitCodes.Ok, Host("--help").Code);
        Assert.Equal(ExitCodes.Ok, Host("help").Code);
    }

    [Theory]
    [InlineData(new[] { "run", "tiny", "--thread", "2" }, "--thread", "--threads")]
    [InlineData(new[] { "run", "tiny", "--varient", "vanilla" }, "--varient", "--variant")]
    [InlineData(new[] { "resume", "runs/x", "--devise", "cpu" }, "--devise", "--device")]
    [InlineData(new[] { "submit", "tiny_sweep", "--partiton", "gpu" }, "--partiton", "--partition")]
    [InlineData(new[] { "compare", "a", "b", "--ouput", "c.html" }, "--ouput", "--output")]
    [InlineData(new[] { "unit", "sweeps/s1", "--thread", "2" }, "--thread", "--threads")]
    [InlineData(new[] { "rnu", "tiny" }, "rnu", "run")]
    public void A_misspelt_option_or_command_is_a_usage_error_with_a_suggestion(string[] args, string typo, string suggestion)
    {
        var (code, output, error) = Host(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error);
        Assert.Contains($"'{typo}' was not matched. Did you mean one of the following?\n{suggestion}\n", error);
        Assert.Matches(@"usage: \S+ .*`\S+ .*--help` lists", error);
    }

    [Theory]
    [InlineData(new[] { "run", "tiny", "--threads", "two" }, "--threads expects a non-negative integer, got `two`")]
    [InlineData(new[] { "run", "tiny", "--workers", "-1" }, "--workers expects a non-negative integer, got `-1`")]
    [InlineData(new[] { "run", "tiny", "--seed", "x" }, "--seed expects one of the recipe's seeds (a non-negative integer), got `x`")]
    [InlineData(new[] { "run", "tiny", "--device", "tpu" }, "--device expects cpu, cuda or auto, got `tpu`")]
    [InlineData(new[] { "run", "tiny", "--quiet", "--verbose" }, "--quiet and --verbose contradict each other; give one of them")]
    [InlineData(new[] { "run", "nosuch" }, "no recipe named `nosuch`; this build has `analyze_tiny`, ")]
    [InlineData(new[] { "run" }, "Required argument missing for command: 'run'.")]
    [InlineData(new[] { "bogus" }, "unknown command `bogus`\n")]
    [InlineData(new[] { "show", "tiny", "extra" }, "unexpected argument `extra` for `show`\n")]
    [InlineData(new[] { "compare", "runs/a" }, "`compare` needs at least two run folders, got 1")]
    [InlineData(new[] { "submit", "tiny_sweep", "--jobs", "0" }, "--jobs expects a positive integer, got `0`")]
    [InlineData(new[] { "submit", "tiny_sweep", "--gres", "gpu:1" }, "Slurm options (--partition, --gres, --time, --max-parallel, --account, --qos, --sbatch, --setup, --slurm-config) need --slurm")]
    [InlineData(new[] { "submit", "tiny_sweep", "--slurm", "--jobs", "2" }, "--jobs is for the local executor; with --slurm, --max-parallel bounds the tasks running at once")]
    [InlineData(new[] { "submit", "tiny_sweep", "--slurm", "--gpus", "0,1" }, "--gpus is for the local executor; with --slurm, --gres asks Slurm for each task's GPUs")]
    [InlineData(new[] { "submit", "tiny_sweep", "--gpus", "," }, "--gpus expects a comma-separated list of GPU ids, e.g. --gpus 0,1")]
    [InlineData(new[] { "unit", "sweeps/s1", "0", "--seed", "7" }, "unknown option `--seed` for `unit`\n")]
    [InlineData(new[] { "run", "tiny", "--thread", "2" }, "unknown option `--thread` for `run`\n'--thread' was not matched")]
    public void A_wrong_command_line_exits_2_with_what_is_wrong_and_runs_nothing(string[] args, string message)
    {
        var (code, output, error) = Host(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.StartsWith("error: " + message, error);
    }

    [Theory]
    [MemberData(nameof(NotResumable))]
    public void Resume_refuses_an_override_it_does_not_take_and_says_which_it_takes(string option)
    {
        var (code, _, error) = Host("resume", Path.Combine(_root, "runs", "tiny", "x"), option, "a");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith(
            $"error: `resume` continues a run with the settings it started with, so {option} cannot change; " +
            "`resume` takes --seed, --threads, --workers, --device, --data\n", error);
    }

    [Fact]
    public void Exit_codes_0_for_success_1_for_an_expected_failure_2_for_a_usage_error()
    {
        Assert.Equal((0, 1, 2), (ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage));

        var list = Host("list");
        Assert.Equal(ExitCodes.Ok, list.Code);
        Assert.Matches(@"(?m)^tiny\s+tiny\.distill\s+variants: ", list.Output);
        var show = Host("show", "tiny");
        Assert.Equal(ExitCodes.Ok, show.Code);
        Assert.StartsWith("[", show.Output.TrimStart());
        Assert.Equal("", show.Error);

        var missing = Path.Combine(_root, "no-such-run");
        var resume = Host("resume", missing, "--threads", "1");
        Assert.Equal(ExitCodes.Failed, resume.Code);
        Assert.Equal($"error: {missing}: no such folder; `resume` takes the folder of an earlier run (runs/<recipe>/<timestamp>-<variants>/)\n", resume.Error);
        Assert.Equal(ExitCodes.Failed, Host("report", missing).Code);
        Assert.Equal(ExitCodes.Failed, Host("status", missing).Code);

        // A file where a run folder belongs is a usage error, found when the command runs.
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");
        var wrong = Host("resume", file);
        Assert.Equal(ExitCodes.Usage, wrong.Code);
        Assert.StartsWith($"error: `{file}` is a file; `resume` takes a run folder", wrong.Error);
        Assert.Matches(@"\nusage: \S+ resume <run-folder> \[options\]; `\S+ resume --help` lists its arguments and options\n$", wrong.Error);
    }
}
