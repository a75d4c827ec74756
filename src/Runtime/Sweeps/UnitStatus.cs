using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiDistill.Runtime.Sweeps;

/// <summary>Where a unit stands, as <c>status</c> shows it.</summary>
public enum UnitState
{
    Pending,
    Running,
    /// <summary>Started, but its process is gone without finishing (killed, preempted): it resumes from its checkpoint when run again.</summary>
    Interrupted,
    Done,
    Failed,
}

/// <summary>
/// A unit's <c>unit.json</c>, written by the unit's own process: running (with host, pid, attempt and
/// Slurm job) when it starts, done or failed (with the error's message) when it ends. A process
/// killed outright leaves "running" behind; <see cref="Read"/> tells that apart on this host.
/// </summary>
public sealed record UnitStatus
{
    public const string FileName = "unit.json";
    public const string LogFileName = "unit.log";

    [JsonConverter(typeof(JsonStringEnumConverter))]
    public UnitState State { get; init; }
    public int Attempt { get; init; }
    public string Host { get; init; } = "";
    public int Pid { get; init; }
    public DateTime Since { get; init; }
    public string? SlurmJob { get; init; }
    /// <summary>The last error line of a failed unit.</summary>
    public string? Error { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static UnitStatus? Load(string unitFolder)
    {
        var path = Path.Combine(unitFolder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<UnitStatus>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: the unit status is unreadable ({e.Message}); delete it and run the unit again", e); }
    }

    /// <summary>The unit's state: pending without a status file; a "running" unit whose process on this host is gone is interrupted.</summary>
    public static (UnitState State, UnitStatus? Status) Read(string unitFolder)
    {
        var status = Load(unitFolder);
        if (status is null) return (UnitState.Pending, null);
        if (status.State == UnitState.Running && status.Host == Environment.MachineName && !Alive(status.Pid))
            return (UnitState.Interrupted, status);
        return (status.State, status);
    }

    // Written to a temporary file and renamed: `status` and `collect` may read it at any moment.
    public void Save(string unitFolder)
    {
        Directory.CreateDirectory(unitFolder);
        var path = Path.Combine(unitFolder, FileName);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
