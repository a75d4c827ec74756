using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Editors;

/// <summary>
/// A real editor: Debian's Neovim (0.7, installed by scripts/ensure-editors.sh) runs headless with its
/// built-in LSP client and neovim-client.lua, opens a recipe with an error, receives the diagnostics
/// and asks for completion. The recipe lies in a folder without a project, so the server compiles it
/// against the runtime schema it ships with, and the reference is the generator over the same folder.
/// </summary>
public sealed class NeovimTests
{
    [Fact]
    public async System.Threading.Tasks.Task Neovim_receives_the_compilers_diagnostics_and_completion()
    {
        var folder = Directory.CreateTempSubdirectory("midistill-nvim-");
        try
        {
            var recipe = Path.Combine(folder.FullName, "editor.distill");
            var text = "recipe editor {\n  finetune { epoch 3 }\n  distill {\n    \n  }\n}\n";
            File.WriteAllText(recipe, text);
            var output = Path.Combine(folder.FullName, "result.json");
            var start = new ProcessStartInfo("nvim", new[] { "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile " + Path.Combine(Repo.Root, "tests", "MiDistill.LanguageServer.Tests", "Editors", "neovim-client.lua") })
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                WorkingDirectory = folder.FullName,
            };
            start.Environment["MIDISTILL_LSP_DLL"] = LspClient.ServerAssembly;
            start.Environment["MIDISTILL_RECIPE"] = recipe;
            start.Environment["MIDISTILL_OUT"] = output;
            start.Environment["MIDISTILL_LINE"] = "3";
            start.Environment["MIDISTILL_CHARACTER"] = "4";
            Process nvim;
            try { nvim = Process.Start(start)!; }
            catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("nvim is not installed; scripts/ensure-editors.sh installs Debian's neovim", e); }
            using (nvim)
            {
                var stderr = nvim.StandardError.ReadToEndAsync();
                if (!nvim.WaitForExit(150_000)) { nvim.Kill(true); Assert.Fail("nvim did not finish in 150 s"); }
                Assert.True(File.Exists(output), "nvim wrote no result; its stderr: " + await stderr);
            }
            var result = JsonNode.Parse(File.ReadAllText(output))!;
            Assert.Empty(result["errors"]!.AsArray());

            var expected = CompilerReference.Diagnostics(folder.FullName, recipe, text);
            Assert.NotEmpty(expected);
            var published = result["published"]!.AsArray().Last()!["diagnostics"]!.AsArray()
                .Select(d => new ReportedDiagnostic((string)d!["code"]!, (int)d["range"]!["start"]!["line"]!, (int)d["range"]!["start"]!["character"]!,
                    (int)d["range"]!["end"]!["line"]!, (int)d["range"]!["end"]!["character"]!, (string)d["message"]!))
                .OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, published);
            // What Neovim itself shows in the buffer: the same places and texts.
            var shown = result["shown"]!.AsArray().Select(d => ((int)d!["lnum"]!, (int)d["col"]!, (string)d["message"]!)).OrderBy(d => d.Item1).ThenBy(d => d.Item2).ToList();
            Assert.Equal(expected.Select(d => (d.StartLine, d.StartCharacter, d.Message)).OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ToList(), shown);

            var labels = result["completion"]!.AsArray().Select(l => (string)l!).ToList();
            Assert.Contains("student", labels);
            Assert.Contains("loss", labels);
        }
        finally
        {
            folder.Delete(true);
        }
    }
}
