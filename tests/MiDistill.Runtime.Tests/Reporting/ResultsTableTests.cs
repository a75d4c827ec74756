using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Reporting;

namespace MiDistill.Runtime.Tests.Reporting;

public sealed class ResultsTableTests
{
    private static ResultsTable Example()
    {
        var table = new ResultsTable(new[] { "teacher acc", "student acc", "time (s)" }, percentColumns: new[] { "teacher acc", "student acc" });
        table.AddRow("ce", new Dictionary<string, double> { ["teacher acc"] = 0.8124, ["student acc"] = 0.75, ["time (s)"] = 12.5 });
        table.AddRow("remem", new Dictionary<string, double> { ["time (s)"] = 123.456, ["student acc"] = 0.7777, ["teacher acc"] = 0.8 });
        return table;
    }

    [Fact]
    public void Markdown_is_aligned_with_percentages()
    {
        Assert.Equal(
            "| variant | teacher acc | student acc | time (s) |\n" +
            "|:--------|------------:|------------:|---------:|\n" +
            "| ce      |       81.2% |       75.0% |     12.5 |\n" +
            "| remem   |       80.0% |       77.8% |  123.456 |\n",
            Example().ToMarkdown());
    }

    [Fact]
    public void Csv_has_raw_invariant_numbers()
    {
        Assert.Equal(
            "variant,teacher acc,student acc,time (s)\n" +
            "ce,0.8124,0.75,12.5\n" +
            "remem,0.8,0.7777,123.456\n",
            Example().ToCsv());
    }

    [Fact]
    public void Missing_values_are_empty_and_unknown_columns_rejected()
    {
        var table = new ResultsTable(new[] { "acc", "time (s)" }, new[] { "acc" });
        table.AddRow("a,b", new Dictionary<string, double> { ["acc"] = 0.5 });
        Assert.Equal("variant,acc,time (s)\n\"a,b\",0.5,\n", table.ToCsv());
        Assert.Equal("| variant |   acc | time (s) |\n|:--------|------:|---------:|\n| a,b     | 50.0% |          |\n", table.ToMarkdown());
        Assert.Throws<System.ArgumentException>(() => table.AddRow("x", new Dictionary<string, double> { ["accuracy"] = 1 }));
    }

    [Fact]
    public void WriteTo_writes_both_files()
    {
        var folder = Directory.CreateTempSubdirectory("midistill-results-").FullName;
        try
        {
            Example().WriteTo(folder);
            Assert.Equal(Example().ToMarkdown(), File.ReadAllText(Path.Combine(folder, "results.md")));
            Assert.Equal(Example().ToCsv(), File.ReadAllText(Path.Combine(folder, "results.csv")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
