using System;
using System.Diagnostics;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Packaging;

/// <summary>
/// MiDistill used the way a user outside this repository uses it: the packages `dotnet pack`
/// makes, the `dotnet new midistill` template, a build, a run, a located recipe error, the
/// user's own student, the language server installed as the .NET tool `midistill-lsp` (its
/// diagnostics over stdio and `format --check`), `dotnet add package` with Distill item globs
/// (scripts/check-package-consumer.sh).
/// </summary>
public class PackageConsumerTests
{
    [Fact]
    public async System.Threading.Tasks.Task A_project_outside_the_repository_builds_checks_and_runs_recipes_from_the_packages()
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { Repo.Path("scripts", "check-package-consumer.sh") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host's MSBuild variables must not leak into the child builds.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        bool exited = true;
        using (var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(8)))
        {
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { exited = false; process.Kill(entireProcessTree: true); }
        }
        var output = await stdout + await stderr;
        Assert.True(exited, "the package consumer checks took more than 8 minutes:\n" + output);
        Assert.True(process.ExitCode == 0, "the package consumer checks failed:\n" + output);
        Assert.Contains("package consumer checks passed", output);
        Assert.Matches(@"starter\.distill\(\d+,\d+\): error MD0106: `finetune\.epochs` = 0 is out of range", output);
        Assert.Contains("check: the language server installs as a .NET tool from the feed and reports that error too", output);
        Assert.Contains("\"code\":\"MD0106\"", output);
        Assert.Contains("1 of 1 recipes formatted", output);
    }
}
