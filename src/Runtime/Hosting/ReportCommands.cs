using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using MiDistill.Runtime.Reporting.Report;

namespace MiDistill.Runtime.Hosting;

/// <summary>The `report` and `compare` commands: pages made from run folders alone, no recipe or training needed.</summary>
public static class ReportCommands
{
    public const string DefaultComparisonFile = "compare.html";

    internal static IEnumerable<Command> Commands() => new[] { Report(), Compare() };

    /// <summary><c>report &lt;run-folder&gt;</c>: writes report.html in the folder and prints its path.</summary>
    private static Command Report()
    {
        var folder = new Argument<string>("run-folder") { Description = "the folder of a run, finished or not" };
        var command = new Command("report", "(re)write the run's report.html from its files") { folder };
        command.SetAction(parse =>
        {
            RunReport.Write(parse.GetValue(folder)!, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>compare a b ... [--output file]</c>: prints the side-by-side tables and writes the combined page.</summary>
    private static Command Compare()
    {
        var folders = new Argument<string[]>("run-folders")
        {
            Description = "two or more run folders",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result =>
            {
                var taken = HostCommandLine.TakeUntilOption(result);
                if (taken.Count < 2) result.AddError($"`compare` needs at least two run folders, got {taken.Count}");
                return taken.ToArray();
            },
        };
        var target = new Option<string>("--output")
        {
            Description = "where the combined page goes",
            HelpName = "file.html",
            DefaultValueFactory = _ => DefaultComparisonFile,
        };
        var command = new Command("compare", "the runs' results side by side, the settings that differ, one combined page") { folders, target };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var comparison = new RunComparison(parse.GetValue(folders)!);
            output.Write(comparison.ToText());
            var path = Path.GetFullPath(parse.GetValue(target)!);
            comparison.WriteHtml(path);
            output.WriteLine($"Comparison: {path}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
