using System;
using System.Linq;
using System.Reflection;
using MiDistill.Runtime.Options;
using TorchSharp;

namespace MiDistill.Runtime.Training;

/// <summary>Maps the recipe's device setting onto what the loaded LibTorch backend can do.</summary>
public static class DeviceSelector
{
    /// <summary>The backend this runtime was built with (the MiDistillTorchBackend build property).</summary>
    public static string Backend { get; } =
        typeof(DeviceSelector).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MiDistillTorchBackend")?.Value ?? "cpu";

    public static torch.Device Resolve(DeviceKind kind)
    {
        bool cuda = torch.cuda.is_available();
        return kind switch
        {
            DeviceKind.Cpu => torch.CPU,
            DeviceKind.Auto => cuda ? torch.CUDA : torch.CPU,
            DeviceKind.Cuda when cuda => torch.CUDA,
            DeviceKind.Cuda => throw new InvalidOperationException(Backend == "cpu"
                ? "the recipe asks for `run { device cuda }`, but MiDistill was built with the CPU LibTorch backend. " +
                  "Rebuild with the CUDA backend: `dotnet build -p:MiDistillTorchBackend=cuda` (needs the libtorch-cuda-12.8-linux-x64 " +
                  "NuGet package and an NVIDIA driver), or use `device cpu` / `device auto`, or pass `--device cpu`."
                : "the recipe asks for `run { device cuda }` and MiDistill was built with the CUDA backend, but no CUDA device is " +
                  "visible (check `nvidia-smi` and CUDA_VISIBLE_DEVICES), or use `--device cpu`."),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }
}
