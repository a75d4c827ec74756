using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Build;

/// <summary>
/// scripts/test-summary.sh, the closing line of ./test.sh, on fabricated `dotnet test` logs: a run
/// where no test ran, or where a test assembly of the solution is missing, must not read as green.
/// </summary>
public class TestSummaryScriptTests
{
    private const string Runtime = "Passed!  - Failed:     0, Passed:   350, Skipped:     0, Total:   350, Duration: 3 m 2 s - MiDistill.Runtime.Tests.dll (net10.0)";
    private const string Dsl = "Passed!  - Failed:     0, Passed:   560, Skipped:     0, Total:   560, Duration: 41 s - MiDistill.Dsl.Tests.dll (net10.0)";
    private const string Editor = "Passed!  - Failed:     0, Passed:    40, Skipped:     0, Total:    40, Duration: 50 s - MiDistill.LanguageServer.Tests.dll (net10.0)";

    [Fact]
    public void Every_test_assembly_passing_is_green()
    {
        var (code, output) = Summary(new[] { "Build started", Runtime, Dsl, Editor }, status: 0);
        Assert.Equal(0, code);
        Assert.Equal("950 passed, 0 failed", LastLine(output));
    }

    [Fact]
    public void No_test_at_all_fails_and_says_so()
    {
        var (code, output) = Summary(new[] { "No test is available in /x/MiDistill.Runtime.Tests.dll." }, status: 0);
        Assert.NotEqual(0, code);
        Assert.Contains("no test ran", output);
        Assert.Contains("MiDistill.Runtime.Tests.dll reported no test results", output);
        Assert.Contains("MiDistill.Dsl.Tests.dll reported no test results", output);
        Assert.Contains("MiDistill.LanguageServer.Tests.dll reported no test results", output);
        Assert.Equal("0 passed, 3 failed", LastLine(output));
    }

    [Fact]
    public void A_test_assembly_missing_from_the_summary_fails()
    {
        var (code, output) = Summary(new[] { Dsl, Editor }, status: 0);
        Assert.NotEqual(0, code);
        Assert.Contains("MiDistill.Runtime.Tests.dll reported no test results", output);
        Assert.DoesNotContain("MiDistill.Dsl.Tests.dll reported", output);
        Assert.Equal("600 passed, 1 failed", LastLine(output));
    }

    [Fact]
    public void An_assembly_that_ran_no_test_fails()
    {
        var empty = "Passed!  - Failed:     0, Passed:     0, Skipped:     0, Total:     0, Duration: 1 ms - MiDistill.Dsl.Tests.dll (net10.0)";
        var (code, output) = Summary(new[] { Runtime, empty, Editor }, status: 0);
        Assert.NotEqual(0, code);
        Assert.Equal("390 passed, 1 failed", LastLine(output));
    }

    [Fact]
    public void Failures_skips_crashes_and_other_checks_are_counted()
    {
        var failing = "Failed!  - Failed:     2, Passed:   548, Skipped:    10, Total:   560, Duration: 41 s - MiDistill.Dsl.Tests.dll (net10.0)";
        var (code, output) = Summary(new[] { Runtime, failing, Editor }, status: 1);
        Assert.NotEqual(0, code);
        Assert.Equal("938 passed, 2 failed, 10 skipped", LastLine(output));

        (code, output) = Summary(new[] { Runtime, Dsl, Editor }, status: 1);
        Assert.NotEqual(0, code);
        Assert.Contains("without reporting a failed test", output);
        Assert.Equal("950 passed, 1 failed", LastLine(output));

        (code, output) = Summary(new[] { Runtime, Dsl, Editor }, status: 0, other: 1);
        Assert.NotEqual(0, code);
        Assert.Equal("950 passed, 1 failed", LastLine(output));
    }

    [Fact]
    public void The_solution_has_the_three_test_projects_the_logs_above_name()
    {
        var projects = File.ReadAllLines(Repo.Path("MiDistill.sln"))
            .Where(l => l.StartsWith("Project(", StringComparison.Ordinal) && l.Contains(".csproj", StringComparison.Ordinal))
            .Select(l => l.Split('"')[3])
            .Where(n => n.EndsWith(".Tests", StringComparison.Ordinal))
            .OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(new[] { "MiDistill.Dsl.Tests", "MiDistill.LanguageServer.Tests", "MiDistill.Runtime.Tests" }, projects);
    }

    private static string LastLine(string output) => output.TrimEnd('\n').Split('\n').Last();

    private static (int Code, string Output) Summary(string[] log, int status, int other = 0)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, log);
            var start = new ProcessStartInfo("bash")
            {
                ArgumentList = { Repo.Path("scripts", "test-summary.sh"), file, status.ToString(), other.ToString() },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "test-summary.sh did not finish");
            return (process.ExitCode, stdout + stderr.Result);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
