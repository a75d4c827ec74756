using System.Diagnostics;
using System.IO;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Protocol;

/// <summary>`midistill-lsp format --check`, the command CI runs over the shipped recipes (this test is that run).</summary>
public sealed class FormatCommandTests
{
    private static (int Code, string Output) Lsp(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        start.ArgumentList.Add(LspClient.ServerAssembly);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    [Fact]
    public void Every_shipped_recipe_is_in_the_canonical_layout()
    {
        var (code, output) = Lsp("format", "--check", "recipes", Path.Combine("tests", "MiDistill.TestRecipes"), "templates");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_check_fails_on_a_recipe_that_is_not_formatted_and_formatting_fixes_it()
    {
        var folder = Directory.CreateTempSubdirectory("midistill-format-");
        try
        {
            var file = Path.Combine(folder.FullName, "messy.distill");
            File.WriteAllText(file, "recipe messy {\n      run {threads 1}\n}\n");
            var (failed, report) = Lsp("format", "--check", folder.FullName);
            Assert.Equal(1, failed);
            Assert.Contains("messy.distill: not formatted", report);
            Assert.Equal(0, Lsp("format", file).Code);
            Assert.Equal("recipe messy {\n  run { threads 1 }\n}\n", File.ReadAllText(file));
            Assert.Equal(0, Lsp("format", "--check", folder.FullName).Code);
        }
        finally
        {
            folder.Delete(true);
        }
    }
}
