using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Protocol;

/// <summary>A form the user writes while the editor is open: it is read from the saved .cs file, without a build or a restart.</summary>
public sealed class UserFormTests
{
    [Fact]
    public async Task A_newly_saved_RecipeForm_record_is_known_to_checks_and_completion_without_a_restart()
    {
        // A project that was never built: the sections come from the runtime the server ships with.
        var project = Directory.CreateTempSubdirectory("midistill-userform-");
        try
        {
            File.WriteAllText(Path.Combine(project.FullName, "Mine.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");
            var recipe = Path.Combine(project.FullName, "mine.distill");
            var text = "recipe mine {\n  distill { student my_student(width: 4) }\n}\n";
            File.WriteAllText(recipe, text);
            var uri = Repo.Uri(recipe);

            await using var client = await LspClient.StartAsync();
            await client.OpenAsync(uri, text);
            var before = (await client.DiagnosticsAsync(uri, 1))["diagnostics"]!.AsArray();
            Assert.Contains(before, d => ((string)d!["message"]!).Contains("my_student", StringComparison.Ordinal));

            File.WriteAllText(Path.Combine(project.FullName, "MyStudent.cs"), """
                using MiDistill.Runtime.Options;

                namespace Mine;

                [RecipeForm("my_student", "A student of my own.")]
                public sealed record MyStudentOptions([RecipeArg(Doc = "channels", Min = 1, Max = 64)] int Width = 8) : StudentOptions;
                """);
            // What VS Code's file watcher sends on save (other clients: the next edit re-reads, see docs/editor.md).
            await client.NotifyAsync("workspace/didChangeWatchedFiles", new { changes = new[] { new { uri = Repo.Uri(Path.Combine(project.FullName, "MyStudent.cs")), type = 1 } } });
            var after = (await client.DiagnosticsAsync(uri, 1))["diagnostics"]!.AsArray();
            Assert.DoesNotContain(after, d => ((string)d!["message"]!).Contains("my_student", StringComparison.Ordinal));

            var completion = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri }, position = new { line = 1, character = 20 } });
            Assert.Contains(completion!["items"]!.AsArray(), i => (string)i!["label"]! == "my_student" && ((string)i["detail"]!).Contains("of my own", StringComparison.Ordinal));
        }
        finally
        {
            project.Delete(true);
        }
    }
}
