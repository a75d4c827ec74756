using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Reporting.Progress;

namespace MiDistill.Runtime.Tests.Reporting;

public sealed class ConsoleProgressTests
{
    private double _now;

    private ConsoleProgress Make(TextWriter output, bool interactive) =>
        new("finetune", "remem", epochs: 3, stepsPerEpoch: 10, output, interactive, () => _now);

    [Fact]
    public void Redirected_output_gets_one_line_per_epoch_and_no_carriage_returns()
    {
        var output = new StringWriter { NewLine = "\n" };
        var progress = Make(output, interactive: false);
        for (int step = 1; step <= 10; step++)
        {
            _now += 0.21;
            progress.Step(1, step, 0.5, 0.8);
        }
        progress.EpochEnd(1, new Dictionary<string, double> { ["loss"] = 0.532, ["val acc"] = 0.812 });
        _now += 2.3;
        progress.EpochEnd(2, new Dictionary<string, double> { ["loss"] = 0.4, ["lr"] = 0.0003 });
        Assert.Equal(
            "[finetune/remem] epoch 1/3  loss 0.532  val acc 81.2%  2.1s/epoch  ETA 0:04\n" +
            "[finetune/remem] epoch 2/3  loss 0.400  lr 0.0003  2.2s/epoch  ETA 0:02\n",
            output.ToString());
    }

    [Fact]
    public void Interactive_output_redraws_one_line()
    {
        var output = new StringWriter { NewLine = "\n" };
        var progress = Make(output, interactive: true);
        _now = 1.0;
        progress.Step(1, 5, 0.532, 0.812);
        // Estimated 2.0 s/epoch from 5 of 10 steps in 1 s; 1 s left of this epoch plus two more.
        Assert.Equal("\r[finetune/remem] epoch 1/3  step 5/10  loss 0.532  acc 81.2%  2.0s/epoch  ETA 0:05", output.ToString());
        _now = 1.01;
        progress.Step(1, 6, 0.5, 0.8);
        Assert.DoesNotContain("step 6/10", output.ToString());
    }

    [Fact]
    public void Durations_use_minutes_and_hours()
    {
        Assert.Equal("0:25", ConsoleProgress.Duration(25));
        Assert.Equal("2:05", ConsoleProgress.Duration(125));
        Assert.Equal("1:00:01", ConsoleProgress.Duration(3601));
    }
}
