using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Training;

public sealed class ResultReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("midistill-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static VariantResult Result(string variant, int seed, double teacher, double student) =>
        new(variant, seed, new Dictionary<string, double> { ["acc"] = teacher }, new Dictionary<string, double> { ["acc"] = student }, 1.0);

    [Fact]
    public void Sample_standard_deviation_matches_the_closed_form()
    {
        // 0.60, 0.70, 0.80: mean 0.70, squared deviations 0.01 + 0 + 0.01, / (3 - 1) = 0.01, sd 0.1.
        Assert.Equal(0.1, ResultReport.StandardDeviation(new[] { 0.6, 0.7, 0.8 }), 12);
        Assert.Equal(0, ResultReport.StandardDeviation(new[] { 0.5 }));
    }

    [Fact]
    public void Replicates_become_mean_and_sd_per_variant()
    {
        var evaluate = new EvaluateOptions { Metrics = new[] { Metric.Accuracy }, Protocol = new HonestProtocol() };
        var text = ResultReport.Write(_folder, "r", evaluate, new[]
        {
            Result("a", 0, 0.60, 0.80), Result("a", 1, 0.70, 0.90), Result("a", 2, 0.80, 1.00),
            Result("b", 0, 0.50, 0.50), Result("b", 1, 0.50, 0.70),
        });
        Assert.Contains("honest protocol", text);
        var csv = File.ReadAllLines(Path.Combine(_folder, "results.csv"));
        Assert.Equal("variant,teacher acc,student acc,teacher acc sd,student acc sd,seeds,time (s)", csv[0]);
        var a = csv[1].Split(',').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(new[] { 0.7, 0.9, 0.1, 0.1, 3, 3 }, a.Select(v => Math.Round(v, 12)));
        var b = csv[2].Split(',').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // b: student 0.5 and 0.7 -> mean 0.6, sd sqrt(0.02) = 0.1414...
        Assert.Equal(0.6, b[1], 12);
        Assert.Equal(Math.Sqrt(0.02), b[3], 12);
    }
}
