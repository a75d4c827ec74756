using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Protocol;

/// <summary>
/// Problems of a [RecipeForm] declaration (an argument type recipes cannot write, a form name given
/// twice) reach the editor where the build reports them: on the .cs file, with the build's id,
/// range and text (the generator run by CSharpGeneratorDriver is the reference), published when a
/// recipe of the project is analysed and when the .cs file is opened, and cleared once fixed.
/// </summary>
public sealed class DeclarationProblemTests
{
    private const string Broken = """
        using MiDistill.Runtime.Options;

        namespace Mine;

        [RecipeForm("when_student", "A student with an argument recipes cannot write.")]
        public sealed record WhenStudentOptions(System.DateTime When = default) : StudentOptions;

        [RecipeForm("twin", "The first twin.")]
        public sealed record FirstTwinOptions(int Width = 8) : StudentOptions;

        [RecipeForm("twin", "The second twin.")]
        public sealed record SecondTwinOptions(int Width = 8) : StudentOptions;
        """;

    private const string Fixed = """
        using MiDistill.Runtime.Options;

        namespace Mine;

        [RecipeForm("twin", "The only twin.")]
        public sealed record FirstTwinOptions(int Width = 8) : StudentOptions;
        """;

    private static IReadOnlyList<ReportedDiagnostic> FromServer(JsonNode published) =>
        published["diagnostics"]!.AsArray().Select(d => new ReportedDiagnostic(
                (string)d!["code"]!, (int)d["range"]!["start"]!["line"]!, (int)d["range"]!["start"]!["character"]!,
                (int)d["range"]!["end"]!["line"]!, (int)d["range"]!["end"]!["character"]!, (string)d["message"]!))
            .OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ThenBy(d => d.Message, StringComparer.Ordinal)
            .ToList();

    [Fact]
    public async Task A_RecipeForm_declarations_problems_are_published_on_its_cs_file_as_the_build_reports_them()
    {
        var project = Directory.CreateTempSubdirectory("midistill-declarations-");
        try
        {
            File.WriteAllText(Path.Combine(project.FullName, "Mine.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");
            var recipe = Path.Combine(project.FullName, "mine.distill");
            var text = "recipe mine {\n  distill { student cnn_small(width: 4) }\n}\n";
            File.WriteAllText(recipe, text);
            var forms = Path.Combine(project.FullName, "MyForms.cs");
            File.WriteAllText(forms, Broken);
            var formsUri = Repo.Uri(forms);

            var expected = CompilerReference.DiagnosticsIn(project.FullName, recipe, text, forms);
            // The reference has both problems, each once per record, so the comparison below means something.
            Assert.True(expected.Count >= 2 && expected.All(d => d.Id == "MD0901"), string.Join("\n", expected));
            Assert.Contains(expected, d => d.Message.Contains("WhenStudentOptions", StringComparison.Ordinal));
            Assert.Contains(expected, d => d.Message.Contains("twin", StringComparison.Ordinal));

            await using var client = await LspClient.StartAsync();
            await client.OpenAsync(Repo.Uri(recipe), text);
            await client.DiagnosticsAsync(Repo.Uri(recipe), 1);
            var published = await client.WaitForNotificationAsync("textDocument/publishDiagnostics", p => (string?)p["uri"] == formsUri);
            Assert.Equal(expected, FromServer(published));

            // A client that opens the .cs file gets them again, without a recipe change.
            await client.NotifyAsync("textDocument/didOpen", new { textDocument = new { uri = formsUri, languageId = "csharp", version = 1, text = Broken } });
            published = await client.WaitForNotificationAsync("textDocument/publishDiagnostics", p => (string?)p["uri"] == formsUri);
            Assert.Equal(expected, FromServer(published));

            // Fixed and saved: the build reports nothing there, and the editor's list is cleared.
            File.WriteAllText(forms, Fixed);
            Assert.Empty(CompilerReference.DiagnosticsIn(project.FullName, recipe, text, forms));
            await client.NotifyAsync("textDocument/didSave", new { textDocument = new { uri = formsUri } });
            published = await client.WaitForNotificationAsync("textDocument/publishDiagnostics", p => (string?)p["uri"] == formsUri);
            Assert.Empty(FromServer(published));
        }
        finally
        {
            project.Delete(true);
        }
    }
}
