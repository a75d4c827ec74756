using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>The test recipes' executable as a child process: a real process that can be killed or run beside another.</summary>
internal sealed class ChildRun : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout, _stderr;

    private ChildRun(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts <c>dotnet MiDistill.TestRecipes.dll args...</c>; <paramref name="killAt"/> ("stage:epoch") makes the killable recipe SIGKILL itself there.</summary>
    public static ChildRun Start(IEnumerable<string> args, string? killAt = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MiDistill.TestRecipes.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        if (killAt is not null) start.Environment["MIDISTILL_TEST_KILL_AT"] = killAt;
        return new ChildRun(Process.Start(start)!);
    }

    /// <summary>Waits for the process to end (at most two minutes); returns its exit code, stdout and stderr.</summary>
    public (int Code, string Output, string Error) Wait()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("the child run did not end within two minutes");
        }
        return (_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
