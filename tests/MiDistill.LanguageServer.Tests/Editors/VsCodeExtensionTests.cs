using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Editors;

/// <summary>
/// The VS Code extension in editors/vscode: its grammar tokenised by vscode-textmate over every shipped
/// recipe (test/grammar.test.js, node's test runner) and its .vsix built by @vscode/vsce, offline, from
/// the packages scripts/ensure-editors.sh installs.
/// </summary>
public sealed class VsCodeExtensionTests
{
    private static readonly string Extension = Repo.Path("editors", "vscode");

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        Assert.True(Directory.Exists(Path.Combine(Extension, "node_modules")), "run scripts/ensure-editors.sh first (npm ci in editors/vscode)");
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = Extension, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000)) { process.Kill(true); Assert.Fail($"{file} {string.Join(" ", args)} ran past 180 s"); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void The_grammar_gives_the_chosen_tokens_of_every_shipped_recipe_their_scopes()
    {
        var (code, output) = Run("node", "--test", "test/");
        Assert.True(code == 0, output);
        Assert.Contains("# fail 0", output);
    }

    [Fact]
    public void The_extension_packs_into_a_vsix_with_its_client_grammar_and_language_client()
    {
        var vsix = Path.Combine(Path.GetTempPath(), "midistill-recipes-" + Guid.NewGuid().ToString("N") + ".vsix");
        try
        {
            var (code, output) = Run(Path.Combine(Extension, "node_modules", ".bin", "vsce"), "package", "--out", vsix);
            Assert.True(code == 0, output);
            using var zip = ZipFile.OpenRead(vsix);
            var names = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("extension/package.json", names);
            Assert.Contains("extension/extension.js", names);
            Assert.Contains("extension/syntaxes/distill.tmLanguage.json", names);
            Assert.Contains("extension/language-configuration.json", names);
            Assert.Contains("extension/node_modules/vscode-languageclient/package.json", names);
            Assert.DoesNotContain(names, n => n.StartsWith("extension/test/", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(vsix);
        }
    }
}
