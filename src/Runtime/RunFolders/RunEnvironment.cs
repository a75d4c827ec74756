using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// environment.json: the machine and versions a run started on, written when its folder is created,
/// so a report made later (or on another machine) still says where the numbers came from.
/// </summary>
public sealed record RunEnvironment(
    string Started, string Host, string OperatingSystem, string Cpu, int LogicalCores, long MemoryBytes,
    string DotNet, string MiDistill, string TorchSharp, string TorchBackend, string CommandLine,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CudaVisibleDevices = null)
{
    public const string FileName = "environment.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NewLine = "\n" };

    public static RunEnvironment Current() => new(
        DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
        Environment.MachineName,
        RuntimeInformation.OSDescription,
        CpuModel(),
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        RuntimeInformation.FrameworkDescription,
        Version(typeof(RunEnvironment).Assembly),
        Version(typeof(TorchSharp.torch).Assembly),
        typeof(RunEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "MiDistillTorchBackend")?.Value ?? "",
        string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        // Which GPUs the process saw (a local sweep gives each running unit its own); null when unset.
        Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"));

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>The environment recorded in a run folder, or null for a run made before MiDistill recorded it.</summary>
    public static RunEnvironment? Read(string runFolder)
    {
        var path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunEnvironment>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a MiDistill environment file ({e.Message})", e);
        }
    }

    private static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    private static string CpuModel()
    {
        try
        {
            // Linux names the model in /proc/cpuinfo; elsewhere the architecture is what .NET knows.
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
