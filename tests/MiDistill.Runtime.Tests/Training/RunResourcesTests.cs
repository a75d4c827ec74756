using System;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>Device, threads, workers, output and cache belong to the process: options built in C# may not set them per variant.</summary>
public sealed class RunResourcesTests
{
    private static ExperimentOptions Variant(string name, RunOptions run) => new()
    {
        Variant = name,
        Teacher = new TeacherOptions { Pretrain = new PretrainOptions { Classes = [0, 1] } },
        Data = new DataOptions { Classes = [2, 3] },
        Run = run,
    };

    [Theory]
    [InlineData("run.threads")]
    [InlineData("run.workers")]
    [InlineData("run.device")]
    [InlineData("run.output")]
    [InlineData("run.cache")]
    public void Variants_that_disagree_on_a_process_setting_are_refused_before_anything_runs(string setting)
    {
        var other = setting switch
        {
            "run.threads" => new RunOptions { Threads = 2 },
            "run.workers" => new RunOptions { Workers = 3 },
            "run.device" => new RunOptions { Device = DeviceKind.Cpu },
            "run.output" => new RunOptions { OutputDirectory = "elsewhere" },
            _ => new RunOptions { CacheDirectory = "elsewhere" },
        };
        var e = Assert.Throws<ArgumentException>(() => Experiment.Run(new[] { Variant("a", new RunOptions()), Variant("b", other) }));
        Assert.Equal($"variant `b` sets {setting} differently from variant `a`; device, threads, workers, output and cache belong to the process and are shared by every variant of a run", e.Message);
    }

    [Fact]
    public void Variants_may_differ_in_their_seeds()
    {
        var run = RunResources.Check(new[] { Variant("a", new RunOptions { Seeds = [1], Threads = 1 }), Variant("b", new RunOptions { Seeds = [2, 3], Threads = 1 }) });
        Assert.Equal(1, run.Threads);
    }

    [Theory]
    [InlineData(TorchSharp.DeviceType.CPU, 2, 2, 1)]
    [InlineData(TorchSharp.DeviceType.CPU, 12, 16, 4)]
    [InlineData(TorchSharp.DeviceType.CPU, 16, 16, 1)]
    [InlineData(TorchSharp.DeviceType.CUDA, 16, 16, 15)]
    [InlineData(TorchSharp.DeviceType.CUDA, 1, 1, 1)]
    public void Workers_are_the_cores_the_threads_leave_on_the_cpu_and_all_but_one_on_a_gpu(TorchSharp.DeviceType device, int threads, int cores, int workers)
    {
        Assert.Equal(workers, RunResources.AutoWorkers(device, threads, cores));
        if (device == TorchSharp.DeviceType.CPU && cores == Environment.ProcessorCount)
            Assert.Equal(MiDistill.Runtime.Data.BatchStream.AutoWorkers(threads), workers);
    }
}
