using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>The test recipes' executable as a child process: a real process that can be killed or run beside another.</summary>
internal sealed class ChildRun : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new(), _error = new();

    private ChildRun(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>dotnet MiDistill.TestRecipes.dll args...</c> with extra environment variables (the killable recipe's hooks read them).</summary>
    public static ChildRun Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MiDistill.TestRecipes.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return new ChildRun(Process.Start(start)!);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Kills the process at once (SIGKILL, as <c>kill -9</c>).</summary>
    public void Kill() => _process.Kill();

    /// <summary>Standard output so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Waits until standard output contains <paramref name="text"/>; false if the process ended or a minute passed first.</summary>
    public bool WaitForOutput(string text)
    {
        var watch = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || watch.Elapsed > TimeSpan.FromMinutes(1)) return Output.Contains(text, StringComparison.Ordinal);
            System.Threading.Thread.Sleep(20);
        }
        return true;
    }

    /// <summary>Waits for the process to end (at most two minutes); returns its exit code, stdout and stderr.</summary>
    public (int Code, string Output, string Error) Wait()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("the child run did not end within two minutes");
        }
        _process.WaitForExit(); // drains the asynchronous output readers
        lock (_error) return (_process.ExitCode, Output, _error.ToString());
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
