using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Tests.EndToEnd;

namespace MiDistill.Runtime.Tests.Sweeps;

/// <summary>
/// The sweep of tests/MiDistill.TestRecipes/sweep.distill (2 grid points x 2 seeds), run once by the
/// local executor (2 unit processes at a time) and once as a plain single-process `run`, sharing one
/// teacher cache. The Slurm test compares its table with the local one.
/// </summary>
public sealed class SweepFixture : IDisposable
{
    public const string Recipe = "tiny_sweep";

    public SweepFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "midistill-sweeps-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        Cache = Path.Combine(Root, "cache");
        LocalSweep = Path.Combine(Root, "local");
        var local = Executable.Run("submit", Recipe, "--sweep", LocalSweep, "--jobs", "2", "--gpus", "3,5", "--threads", "2", "--cache", Cache);
        LocalOutput = local.Output;
        if (local.Code != 0) throw new InvalidOperationException($"the local sweep failed ({local.Code}):\n{local.Output}\n{local.Error}");
        var single = Executable.Run("run", Recipe, "--output", Path.Combine(Root, "runs"), "--cache", Cache);
        if (single.Code != 0) throw new InvalidOperationException($"the single-process run failed ({single.Code}):\n{single.Output}\n{single.Error}");
        SingleRun = Directory.GetDirectories(Path.Combine(Root, "runs", Recipe)).Single();
    }

    public string Root { get; }
    public string Cache { get; }
    public string LocalSweep { get; }
    public string LocalOutput { get; }
    /// <summary>The run folder of the whole recipe run in one process.</summary>
    public string SingleRun { get; }

    /// <summary>results.csv without the timing columns (`pretrain (s)`, `train (s)`), which differ from run to run.</summary>
    public static string TableWithoutTimes(string folder)
    {
        var lines = File.ReadAllLines(Path.Combine(folder, "results.csv"));
        var header = lines[0].Split(',');
        var keep = Enumerable.Range(0, header.Length).Where(i => header[i] is not ("pretrain (s)" or "train (s)")).ToArray();
        Assert.Equal(2, header.Length - keep.Length);
        return string.Join("\n", lines.Select(l => string.Join(",", keep.Select(i => l.Split(',')[i]))));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        // Slurm state written through sudo may not be ours to delete; a leftover temp folder is harmless.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>The test recipes' executable and other programs, run to completion with a bound.</summary>
internal static class Executable
{
    public static (int Code, string Output, string Error) Run(params string[] args) => RunWith(null, args);

    public static (int Code, string Output, string Error) RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var child = ChildRun.Start(args, environment);
        return child.Wait();
    }

    /// <summary>Any program (bash, squeue, scontrol); stdout and stderr together.</summary>
    public static (int Code, string Output) Program(string file, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"`{file} {string.Join(" ", args)}` did not end within {timeout.TotalSeconds} s\n{stdout.Result}{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MiDistill.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("the repository root (MiDistill.sln) is not above " + AppContext.BaseDirectory);
    }
}
