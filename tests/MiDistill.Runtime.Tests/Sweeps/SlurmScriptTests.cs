using System;
using System.IO;
using MiDistill.Runtime.Sweeps;

namespace MiDistill.Runtime.Tests.Sweeps;

/// <summary>The sbatch script and the cluster config file, against text written out by hand.</summary>
public class SlurmScriptTests
{
    private static SweepPlan Plan() => new()
    {
        Recipe = "study",
        SourceFileName = "study.distill",
        RecipeSha256 = "00",
        Executable = new[] { "/usr/bin/dotnet", "/opt/my experiments/midistill-recipes.dll" },
        Overrides = new System.Collections.Generic.Dictionary<string, string> { ["--cache"] = "/shared/cache" },
        Units = new[] { new SweepUnit(0, "a", 0, "units/0000-a-seed0") },
    };

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3 }, "0-3")]
    [InlineData(new[] { 0, 1, 2, 3, 5, 7, 8 }, "0-3,5,7-8")]
    [InlineData(new[] { 4 }, "4")]
    [InlineData(new[] { 1, 3, 5 }, "1,3,5")]
    public void Array_indices_as_sbatch_ranges(int[] units, string expected) =>
        Assert.Equal(expected, SlurmExecutor.ArraySpec(units));

    [Fact]
    public void The_script_runs_unit_i_as_array_task_i_with_the_clusters_options()
    {
        var settings = new SlurmSettings
        {
            Partition = "gpu", Gres = "gpu:1", Time = "04:00:00", MaxParallel = 8, Account = "vision", Qos = "normal", Threads = 6,
            Sbatch = new[] { "--mem=32G" }, Setup = new[] { "module load cuda/12.4" },
        };
        Assert.Equal(
            "#!/bin/bash\n" +
            "# Written by MiDistill `submit --slurm`: array task i runs unit i of /shared/sweeps/s1/plan.json.\n" +
            "#SBATCH --job-name=midistill-study\n" +
            "#SBATCH --array=0-9,12%8\n" +
            "#SBATCH --output=/shared/sweeps/s1/logs/%A_%a.out\n" +
            "#SBATCH --open-mode=append\n" +
            "#SBATCH --cpus-per-task=6\n" +
            "#SBATCH --requeue\n" +
            "#SBATCH --partition=gpu\n" +
            "#SBATCH --gres=gpu:1\n" +
            "#SBATCH --time=04:00:00\n" +
            "#SBATCH --account=vision\n" +
            "#SBATCH --qos=normal\n" +
            "#SBATCH --mem=32G\n" +
            "set -euo pipefail\n" +
            "module load cuda/12.4\n" +
            "exec /usr/bin/dotnet '/opt/my experiments/midistill-recipes.dll' unit /shared/sweeps/s1 \"$SLURM_ARRAY_TASK_ID\" --threads 6\n",
            SlurmExecutor.Script(Plan(), "/shared/sweeps/s1", new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12 }, settings));
    }

    [Fact]
    public void Config_file_values_yield_to_the_command_line_and_lists_add_up()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# cluster defaults\naccount = vision\npartition = gpu\nsbatch = --mem=32G\nsetup = module load cuda/12.4\nmax_parallel = 4\n");
            var merged = new SlurmSettings { Partition = "debug", Sbatch = new[] { "--exclusive" } }.Over(SlurmSettings.Load(file));
            Assert.Equal("debug", merged.Partition);
            Assert.Equal("vision", merged.Account);
            Assert.Equal(4, merged.MaxParallel);
            Assert.Equal(new[] { "--mem=32G", "--exclusive" }, merged.Sbatch);
            Assert.Equal(new[] { "module load cuda/12.4" }, merged.Setup);

            File.WriteAllText(file, "account = vision\nmax_parallel = many\n");
            var e = Assert.Throws<InvalidDataException>(() => SlurmSettings.Load(file));
            Assert.Equal($"{file}(2): `max_parallel` expects a positive integer, found `many`", e.Message);
            File.WriteAllText(file, "acount = vision\n");
            e = Assert.Throws<InvalidDataException>(() => SlurmSettings.Load(file));
            Assert.StartsWith($"{file}(1): unknown key `acount`", e.Message);
        }
        finally { File.Delete(file); }
    }
}
