using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;
using MiDistill.Runtime.Reporting;
using MiDistill.Runtime.Reporting.Progress;
using MiDistill.Runtime.Training;
using Spectre.Console;

namespace MiDistill.Runtime.Hosting;

/// <summary>How much a run prints: <c>--quiet</c> (the results table and where it went), the default, or <c>--verbose</c>.</summary>
public enum Verbosity { Quiet, Normal, Verbose }

/// <summary>
/// The console side of `run` and `resume`: --quiet / --verbose, and the live display on a terminal.
/// Redirected output (CI, `| tee`, Slurm logs) is always plain lines, exactly as without this class.
/// </summary>
public static class ConsoleChoices
{
    /// <summary>
    /// Runs <paramref name="run"/> with the request's output and progress chosen for <paramref name="verbosity"/>
    /// and the terminal: live when the request writes to a console that is a terminal, plain otherwise.
    /// </summary>
    public static ExperimentReport Run(RunRequest request, Verbosity verbosity, Func<RunRequest, ExperimentReport> run)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(run);
        var output = request.Output;
        if (verbosity == Verbosity.Quiet)
        {
            var report = run(request with { Output = TextWriter.Null, Progress = new SilentProgressDisplay() });
            var results = Path.Combine(report.RunFolder, ResultsTable.MarkdownFileName);
            if (File.Exists(results)) output.Write(File.ReadAllText(results));
            output.WriteLine($"Saved to {report.RunFolder}");
            return report;
        }
        IProgressDisplay Decorate(IProgressDisplay display, TextWriter lines) =>
            verbosity == Verbosity.Verbose ? new VerboseProgressDisplay(display, lines) : display;
        if (IsTerminal(output))
            return LiveProgressDisplay.Run(AnsiConsole.Console, (lines, display) => run(request with { Output = lines, Progress = Decorate(display, lines) }));
        return run(request with { Progress = Decorate(new PlainProgressDisplay(output), output) });
    }

    // A live display needs a terminal that Spectre can redraw in; MIDISTILL_PLAIN=1 asks for plain lines anyway.
    private static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("MIDISTILL_PLAIN") is not "1"
        && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
}

/// <summary>--quiet and --verbose on one command (`run`, `resume`); both at once is a usage error.</summary>
internal sealed class VerbosityOptions
{
    private readonly Option<bool> _quiet = new("--quiet")
    {
        Description = "print only the results table and the run folder (errors still go to stderr)",
        Arity = ArgumentArity.Zero,
    };

    private readonly Option<bool> _verbose = new("--verbose")
    {
        Description = "also print ten progress lines per epoch (step, loss, accuracy, images/s)",
        Arity = ArgumentArity.Zero,
    };

    public VerbosityOptions(Command command)
    {
        command.Options.Add(_quiet);
        command.Options.Add(_verbose);
        command.Validators.Add(result =>
        {
            if (result.GetValue(_quiet) && result.GetValue(_verbose))
                result.AddError("--quiet and --verbose contradict each other; give one of them");
        });
    }

    public Verbosity Read(ParseResult parse) =>
        parse.GetValue(_quiet) ? Verbosity.Quiet : parse.GetValue(_verbose) ? Verbosity.Verbose : Verbosity.Normal;
}
