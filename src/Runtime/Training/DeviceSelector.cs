using System;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using MiDistill.Runtime.Options;
using TorchSharp;
using DeviceType = TorchSharp.DeviceType;

namespace MiDistill.Runtime.Training;

/// <summary>Maps the recipe's device setting onto what the loaded LibTorch backend can do.</summary>
public static class DeviceSelector
{
    /// <summary>The backend this runtime was built with (the MiDistillTorchBackend build property).</summary>
    public static string Backend { get; } =
        typeof(DeviceSelector).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MiDistillTorchBackend")?.Value ?? "cpu";

    public static torch.Device Resolve(DeviceKind kind) => Choose(kind).Device;

    /// <summary>
    /// The device for <paramref name="kind"/> and, for the run header, how it was chosen: for <c>auto</c>
    /// (the default, which silently moves every recipe to a GPU where there is one) it says which it
    /// took and why.
    /// </summary>
    public static (torch.Device Device, string Description) Choose(DeviceKind kind)
    {
        // `device cpu` never touches CUDA: probing it starts the CUDA runtime on a CUDA build.
        if (kind == DeviceKind.Cpu) return (torch.CPU, "cpu");
        bool available = torch.cuda.is_available();
        var (type, description) = Choose(kind, available, available || CudaBackendLoadable());
        return (type == DeviceType.CUDA ? torch.CUDA : torch.CPU, description);
    }

    /// <summary>The choice itself, given whether a CUDA device is usable and whether a CUDA LibTorch backend is present.</summary>
    internal static (DeviceType Type, string Description) Choose(DeviceKind kind, bool cudaAvailable, bool cudaBackend) => kind switch
    {
        DeviceKind.Cpu => (DeviceType.CPU, "cpu"),
        DeviceKind.Auto when cudaAvailable => (DeviceType.CUDA, "cuda (chosen by `device auto`: a CUDA device is visible; `--device cpu` keeps a run on the CPU)"),
        DeviceKind.Auto => (DeviceType.CPU, cudaBackend
            ? "cpu (chosen by `device auto`: the CUDA backend is loaded but no CUDA device is visible)"
            : "cpu (chosen by `device auto`: the LibTorch backend loaded has no CUDA)"),
        DeviceKind.Cuda when cudaAvailable => (DeviceType.CUDA, "cuda"),
        DeviceKind.Cuda => throw new InvalidOperationException(cudaBackend
            ? "the run asks for `device cuda` (the recipe's `run { device cuda }`, `--device cuda` or the sweep plan) and the CUDA LibTorch " +
              "backend is loaded, but no CUDA device is visible: check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use `--device cpu`."
            : "the run asks for `device cuda` (the recipe's `run { device cuda }`, `--device cuda` or the sweep plan), but the LibTorch backend " +
              "loaded has no CUDA. In your own project, add the package TorchSharp-cuda-linux (Linux) or TorchSharp-cuda-windows (Windows), " +
              "version 0.107.0 like TorchSharp, beside MiDistill; in this repository, build with `dotnet build -p:MiDistillTorchBackend=cuda` " +
              "(the libtorch-cuda-12.8-linux-x64 package). Either needs an NVIDIA driver. Or use `device cpu` / `device auto`, or pass `--device cpu`."),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// Whether a CUDA LibTorch library can be loaded: a project that added the CUDA package itself
    /// has one although this runtime was packed with <see cref="Backend"/> <c>cpu</c>.
    /// </summary>
    private static bool CudaBackendLoadable()
    {
        if (Backend != "cpu") return true;
        foreach (var name in new[] { "torch_cuda", "libtorch_cuda.so", "torch_cuda.dll" })
            if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out _)) return true;
        return false;
    }
}
