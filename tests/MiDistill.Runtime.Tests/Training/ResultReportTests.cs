using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
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
        Assert.Equal("variant,teacher acc,student acc,teacher acc sd,student acc sd,seeds,pretrain (s),train (s)", csv[0]);
        var a = csv[1].Split(',').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(new[] { 0.7, 0.9, 0.1, 0.1, 3, 0, 3 }, a.Select(v => Math.Round(v, 12)));
        var b = csv[2].Split(',').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // b: student 0.5 and 0.7 -> mean 0.6, sd sqrt(0.02) = 0.1414...
        Assert.Equal(0.6, b[1], 12);
        Assert.Equal(Math.Sqrt(0.02), b[3], 12);
    }

    [Fact]
    public void Paired_differences_against_the_first_variant_match_a_hand_computation()
    {
        var evaluate = new EvaluateOptions { Metrics = new[] { Metric.Accuracy } };
        var text = ResultReport.Write(_folder, "r", evaluate, new[]
        {
            Result("ref", 0, 0.50, 0.60), Result("ref", 1, 0.50, 0.70), Result("ref", 2, 0.50, 0.80),
            Result("close", 0, 0.50, 0.50), Result("close", 1, 0.50, 0.75), Result("close", 2, 0.50, 0.70),
            Result("ahead", 0, 0.50, 0.70), Result("ahead", 1, 0.50, 0.82), Result("ahead", 2, 0.50, 0.91),
        });
        var rows = File.ReadAllLines(Path.Combine(_folder, ResultReport.PairedCsvFileName)).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(c => c[1] + "/" + c[2]);
        double D(string[] row, int i) => double.Parse(row[i], System.Globalization.CultureInfo.InvariantCulture);

        // close - ref, student: -0.10, +0.05, -0.10. Mean -0.05; deviations -0.05, +0.10, -0.05, so
        // sd = sqrt(0.015 / 2) = 0.0866; t(0.975, 2) = 4.303; half width 4.303 x 0.0866 / sqrt(3) = 0.21515.
        var close = rows["close/student acc"];
        Assert.Equal(3, int.Parse(close[3]));
        Assert.Equal(-0.05, D(close, 4), 10);
        Assert.Equal(Math.Sqrt(0.0075), D(close, 5), 10);
        Assert.Equal(-0.05 - 0.21515, D(close, 6), 4);
        Assert.Equal(-0.05 + 0.21515, D(close, 7), 4);
        Assert.Equal("1", close[8]);
        Assert.Equal("false", close[9]);

        // ahead - ref: +0.10, +0.12, +0.11. Mean 0.11, sd 0.01, half width 4.303 x 0.01 / sqrt(3) = 0.024843.
        var ahead = rows["ahead/student acc"];
        Assert.Equal(0.11, D(ahead, 4), 10);
        Assert.Equal(0.01, D(ahead, 5), 10);
        Assert.Equal(0.11 - 0.024843, D(ahead, 6), 5);
        Assert.Equal("3", ahead[8]);
        Assert.Equal("true", ahead[9]);

        // Equal teachers: every difference 0, an interval of width 0 that covers 0.
        Assert.Equal("false", rows["ahead/teacher acc"][9]);
        Assert.True(text.Contains("| close | student acc | -5.0 | 8.7 | [-26.5, +16.5] | 1/3 | not distinguishable from noise |"), text);
        Assert.True(text.Contains("| ahead | student acc | +11.0 | 1.0 | [+8.5, +13.5] | 3/3 | better |"), text);
    }

    [Fact]
    public void The_recipes_reference_variant_is_the_one_compared_against()
    {
        var evaluate = new EvaluateOptions { Metrics = new[] { Metric.Accuracy }, Reference = "ahead" };
        ResultReport.Write(_folder, "r", evaluate, new[]
        {
            Result("ref", 0, 0.50, 0.60), Result("ref", 1, 0.50, 0.70),
            Result("ahead", 0, 0.50, 0.70), Result("ahead", 1, 0.50, 0.82),
        });
        var row = File.ReadAllLines(Path.Combine(_folder, ResultReport.PairedCsvFileName)).Skip(1).Single(l => l.Contains("student acc")).Split(',');
        // ref - ahead: -0.10 and -0.12, mean -0.11.
        Assert.Equal(("ahead", "ref"), (row[0], row[1]));
        Assert.Equal(-0.11, double.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), 10);
    }

    [Fact]
    public void Pretrained_scores_and_pretraining_time_get_their_own_columns()
    {
        var evaluate = new EvaluateOptions { Metrics = new[] { Metric.Accuracy } };
        var pretrained = new Dictionary<string, double> { ["acc"] = 0.84 };
        ResultReport.Write(_folder, "r", evaluate, new[]
        {
            Result("a", 0, 0.78, 0.60) with { Seconds = 100, PretrainSeconds = 90, Pretrained = pretrained },
            Result("a", 1, 0.76, 0.62) with { Seconds = 12, Pretrained = pretrained },
            Result("b", 0, 0.77, 0.61) with { Seconds = 11, Pretrained = pretrained },
            Result("b", 1, 0.75, 0.65) with { Seconds = 13, Pretrained = pretrained },
        });
        var csv = File.ReadAllLines(Path.Combine(_folder, "results.csv"));
        var header = csv[0].Split(',');
        var a = csv[1].Split(',');
        double Cell(string column) => double.Parse(a[Array.IndexOf(header, column)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0.84, Cell("pretrained acc"), 12);
        Assert.Equal(90, Cell("pretrain (s)"));
        Assert.Equal(22, Cell("train (s)"));  // (100 - 90) + 12
        // Paired statistics compare teacher and student only: the pretrained teacher is the same for every variant.
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(_folder, ResultReport.PairedCsvFileName)), l => l.Contains("pretrained"));
    }

    [Fact]
    public void Without_a_validation_split_the_header_says_the_last_epochs_are_kept()
    {
        var text = ResultReport.Write(_folder, "r", new EvaluateOptions(), new[] { Result("a", 0, 0.5, 0.6) }, withoutValidation: true);
        Assert.Contains("honest protocol without a validation split: the last teacher and student epochs are kept", text);
    }

    [Fact]
    public void Student_t_quantiles_are_the_tabled_values()
    {
        Assert.Equal(12.706, PairedDifference.StudentT975(1));
        Assert.Equal(2.776, PairedDifference.StudentT975(4));
        Assert.Equal(2.042, PairedDifference.StudentT975(35));   // the smaller tabled df: conservative
        Assert.Equal(1.960, PairedDifference.StudentT975(1000));
    }
}

public sealed class SelectionMetricTests
{
    [Fact]
    public void Selection_uses_the_first_listed_metric_and_balanced_accuracy_is_the_mean_recall()
    {
        Assert.Equal(Metric.Accuracy, Evaluator.SelectionMetric(new EvaluateOptions()));
        Assert.Equal(Metric.BalancedAccuracy, Evaluator.SelectionMetric(new EvaluateOptions { Metrics = new[] { Metric.BalancedAccuracy, Metric.Accuracy } }));

        // A model that always predicts class 0, on 8 images of class 0 and 2 of class 1:
        // accuracy 8/10, balanced accuracy (1 + 0) / 2.
        var set = new MiDistill.Runtime.Data.ImageSet(new byte[10], new[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 }, numClasses: 2, channels: 1, height: 1, width: 1);
        using var model = new AlwaysZero();
        var adapter = new InputAdapter(1, 1);
        Assert.Equal(0.8, Evaluator.Score(model, set, TorchSharp.torch.CPU, adapter, Metric.Accuracy), 12);
        Assert.Equal(0.5, Evaluator.Score(model, set, TorchSharp.torch.CPU, adapter, Metric.BalancedAccuracy), 12);
    }

    private sealed class AlwaysZero() : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>(nameof(AlwaysZero))
    {
        public override TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor x) =>
            TorchSharp.torch.tensor(new float[] { 1, 0 }).expand(x.shape[0], 2).clone();
    }
}
