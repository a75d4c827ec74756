using System;
using MiDistill.Recipes;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;
using MiDistill.Runtime.Training;
using TorchSharp;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// What each device setting gives with and without a CUDA backend and device (only the CPU exists
/// here, so the choice is tested with both given), what `auto` prints, and the teacher cache key's
/// device and dtype.
/// </summary>
public sealed class DeviceChoiceTests
{
    [Theory]
    [InlineData(DeviceKind.Cpu, false, false, "cpu", "cpu")]
    [InlineData(DeviceKind.Cpu, true, true, "cpu", "cpu")]
    [InlineData(DeviceKind.Auto, false, false, "cpu", "cpu (chosen by `device auto`: the LibTorch backend loaded has no CUDA)")]
    [InlineData(DeviceKind.Auto, false, true, "cpu", "cpu (chosen by `device auto`: the CUDA backend is loaded but no CUDA device is visible)")]
    [InlineData(DeviceKind.Auto, true, true, "cuda", "cuda (chosen by `device auto`: a CUDA device is visible; `--device cpu` keeps a run on the CPU)")]
    [InlineData(DeviceKind.Cuda, true, true, "cuda", "cuda")]
    public void Each_setting_chooses_and_describes_a_device(DeviceKind kind, bool available, bool backend, string type, string description)
    {
        var (device, text) = DeviceSelector.Choose(kind, available, backend);
        Assert.Equal(type, device.ToString().ToLowerInvariant());
        Assert.Equal(description, text);
    }

    [Fact]
    public void Cuda_without_a_cuda_backend_names_the_packages_to_add()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DeviceSelector.Choose(DeviceKind.Cuda, cudaAvailable: false, cudaBackend: false));
        Assert.Contains("TorchSharp-cuda-linux (Linux) or TorchSharp-cuda-windows (Windows)", e.Message);
        Assert.Contains("-p:MiDistillTorchBackend=cuda", e.Message);
        Assert.Contains("`--device cuda`", e.Message);
        // This machine has no CUDA backend: the real probe says the same.
        Assert.Equal(e.Message, Assert.Throws<InvalidOperationException>(() => DeviceSelector.Resolve(DeviceKind.Cuda)).Message);
    }

    [Fact]
    public void Cuda_with_a_cuda_backend_but_no_device_says_to_check_the_driver()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DeviceSelector.Choose(DeviceKind.Cuda, cudaAvailable: false, cudaBackend: true));
        Assert.Contains("no CUDA device is visible: check `nvidia-smi` and CUDA_VISIBLE_DEVICES", e.Message);
        Assert.DoesNotContain("TorchSharp-cuda-linux", e.Message);
    }

    [Fact]
    public void A_teacher_pretrained_on_a_gpu_has_another_cache_key_and_the_cpu_key_is_the_one_of_before()
    {
        var options = TinyRecipe.Settings.Vanilla;
        var cpu = Stages.CacheKeyJson(options, "FINGERPRINT", DeviceType.CPU);
        var cuda = Stages.CacheKeyJson(options, "FINGERPRINT", DeviceType.CUDA);
        // The key every cached teacher was made with before device and dtype were part of it.
        var before = SettingsJson.Serialize(new
        {
            format = 3,
            model = options.Teacher.Model,
            pretrain = options.Teacher.Pretrain,
            source = options.Data.Source,
            upstream = "FINGERPRINT",
        });
        Assert.Equal(before, cpu);
        Assert.NotEqual(cpu, cuda);
        Assert.Contains("\"device\": \"cuda\"", cuda);
        Assert.Contains("\"dtype\": \"float32\"", cuda);
    }
}
