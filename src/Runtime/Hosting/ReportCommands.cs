using System;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Reporting.Report;

namespace MiDistill.Runtime.Hosting;

/// <summary>The `report` and `compare` commands: pages made from run folders alone, no recipe or training needed.</summary>
public static class ReportCommands
{
    public const string Usage =
        "  midistill-recipes report <run-folder>       (re)write the run's report.html from its files\n" +
        "  midistill-recipes compare <run-folder> <run-folder> ... [--output file.html]\n" +
        "                                              the runs' results side by side, the settings that differ, one combined page\n";

    public const string DefaultComparisonFile = "compare.html";

    /// <summary><c>report &lt;run-folder&gt;</c>: writes report.html in the folder and prints its path.</summary>
    public static int Report(string[] args, TextWriter output)
    {
        if (args.Length != 1) throw new ArgumentException($"`report` takes one run folder, got {args.Length} argument(s)");
        RunReport.Write(args[0], output);
        return 0;
    }

    /// <summary><c>compare a b ... [--output file]</c>: prints the side-by-side tables and writes the combined page.</summary>
    public static int Compare(string[] args, TextWriter output)
    {
        var target = DefaultComparisonFile;
        var folders = args.ToList();
        int at = folders.IndexOf("--output");
        if (at >= 0)
        {
            if (at + 1 >= folders.Count) throw new ArgumentException("`--output` needs a file name");
            target = folders[at + 1];
            folders.RemoveRange(at, 2);
        }
        if (folders.FirstOrDefault(f => f.StartsWith("--", StringComparison.Ordinal)) is { } unknown)
            throw new ArgumentException($"unknown option `{unknown}` for `compare`");
        var comparison = new RunComparison(folders);
        output.Write(comparison.ToText());
        var path = Path.GetFullPath(target);
        comparison.WriteHtml(path);
        output.WriteLine($"Comparison: {path}");
        return 0;
    }
}
