using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using MiDistill.LanguageServer.Tests.Infrastructure;

namespace MiDistill.LanguageServer.Tests.Protocol;

/// <summary>The real server process over stdio, checked against the generator (what `dotnet build` reports) and the docs.</summary>
public sealed class ProtocolTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // Opened as if it were a file of the test recipes project, whose OwnForms.cs declares narrow_vit, tiny_conv,
    // smoothed_kd and stripes: each error below is in a different place (a user form's range, a name, a built-in's range).
    private const string Broken = """
        recipe lsp_broken {
          teacher {
            model narrow_vit(depth: 40)
            pretrain upstream(classes: [0, 1], epochs: 2)
          }
          data {
            source stripes(size: 28)
            classes [2, 3]
          }
          finetune { objective sam(rho: 0.05); epoch 3 }
          distill { student tiny_conv(hidden: 8); loss smoothed_kd(smoothing: 0.9) }
          run { threads 1 }
        }
        """;

    private static string InTestRecipes(string name) => Path.Combine(Repo.TestRecipes, name);

    private static IReadOnlyList<ReportedDiagnostic> FromServer(JsonNode published) =>
        published["diagnostics"]!.AsArray().Select(d => new ReportedDiagnostic(
                (string)d!["code"]!, (int)d["range"]!["start"]!["line"]!, (int)d["range"]!["start"]!["character"]!,
                (int)d["range"]!["end"]!["line"]!, (int)d["range"]!["end"]!["character"]!, (string)d["message"]!))
            .OrderBy(d => d.StartLine).ThenBy(d => d.StartCharacter).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();

    [Fact]
    public async Task Initialize_announces_what_the_server_answers()
    {
        await using var client = await LspClient.StartAsync();
        var result = await client.RequestAsync("initialize", new { processId = (int?)null, rootUri = (string?)null, capabilities = new { } });
        var capabilities = result!["capabilities"]!;
        Assert.Equal(1, (int)capabilities["textDocumentSync"]!["change"]!);
        Assert.True((bool)capabilities["hoverProvider"]!);
        Assert.True((bool)capabilities["definitionProvider"]!);
        Assert.True((bool)capabilities["documentFormattingProvider"]!);
        Assert.Contains(".", capabilities["completionProvider"]!["triggerCharacters"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("midistill-lsp", (string)result["serverInfo"]!["name"]!);
    }

    [Theory]
    [InlineData("semantic")]
    [InlineData("syntax")]
    [InlineData("data")]
    public async Task DidOpen_of_a_broken_recipe_publishes_the_diagnostics_the_build_reports(string kind)
    {
        var path = InTestRecipes("lsp_broken.distill");
        // "data": the build's checks of an image folder (relative to the project folder) that is not there.
        var text = kind switch
        {
            "semantic" => Broken,
            "syntax" => Broken.Replace("classes [2, 3]", "classes [2, 3"),
            _ => File.ReadAllText(InTestRecipes("folder.distill")).Replace("recipe folder", "recipe lsp_broken")
                .Replace("../MiDistill.Runtime.Tests/Regression/Data/folder", "no_such_image_folder"),
        };
        var expected = CompilerReference.Diagnostics(Repo.TestRecipes, path, text);
        Assert.NotEmpty(expected);
        if (kind == "semantic") Assert.True(expected.Count >= 3, "the reference should find the three planted errors: " + string.Join("\n", expected));

        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var published = FromServer(await client.DiagnosticsAsync(Repo.Uri(path), 1));
        Assert.Equal(expected, published);
    }

    [Fact]
    public async Task Names_taken_by_the_projects_other_recipe_files_are_reported_as_the_build_reports_them()
    {
        // `own` is declared in own.distill; `TINY` becomes the class of tiny.distill's `tiny`. This file sorts after both.
        var path = InTestRecipes("zz_lsp_names.distill");
        var text = "recipe own {\n  run { threads 1 }\n}\n\nrecipe TINY {\n  run { threads 1 }\n}\n";
        var expected = CompilerReference.Diagnostics(Repo.TestRecipes, path, text, withProjectRecipes: true);
        Assert.Contains(expected, d => d.Id == "MD0108");
        Assert.Contains(expected, d => d.Id == "MD0150");

        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        Assert.Equal(expected, FromServer(await client.DiagnosticsAsync(Repo.Uri(path), 1)));
    }

    [Fact]
    public async Task A_change_publishes_for_the_new_version_and_a_fixed_recipe_clears_its_diagnostics()
    {
        var path = InTestRecipes("lsp_change.distill");
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), Broken);
        Assert.NotEmpty(FromServer(await client.DiagnosticsAsync(Repo.Uri(path), 1)));

        var fixedText = Broken.Replace("depth: 40", "depth: 2").Replace("epoch 3", "epochs 3").Replace("smoothing: 0.9", "smoothing: 0.1");
        Assert.Empty(CompilerReference.Diagnostics(Repo.TestRecipes, path, fixedText));
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Repo.Uri(path), version = 2 }, contentChanges = new[] { new { text = fixedText } } });
        Assert.Empty(FromServer(await client.DiagnosticsAsync(Repo.Uri(path), 2)));
    }

    [Fact]
    public async Task Diagnostics_of_the_largest_shipped_recipe_follow_a_change_quickly_over_stdio()
    {
        // The whole path an editor waits for: didChange written to the pipe, publishDiagnostics read back (no debounce).
        var path = Repo.Path("recipes", "studies", "fewshot.distill");
        var text = File.ReadAllText(path);
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        await client.DiagnosticsAsync(Repo.Uri(path), 1);
        var times = new List<double>();
        for (int version = 2; version <= 41; version++)
        {
            var changed = text.Replace("epochs 30", "epochs " + (30 + version % 5), StringComparison.Ordinal);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Repo.Uri(path), version }, contentChanges = new[] { new { text = changed } } });
            await client.DiagnosticsAsync(Repo.Uri(path), version);
            if (version > 11) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        output.WriteLine($"fewshot.distill, change to publishDiagnostics over stdio after 10 warm-up changes: median {median:F1} ms, max {times[^1]:F1} ms");
        // The goal is 50 ms; the bound leaves room for a CI machine shared with other builds.
        Assert.True(median < 250, $"median {median:F1} ms");
    }

    public static TheoryData<string, string, string[]> CompletionCases => new()
    {
        // (what, recipe with | at the cursor, labels that must be offered)
        { "a section", "recipe r {\n  |\n}\n", new[] { "teacher", "data", "finetune", "distill", "evaluate", "run", "variants", "sweep" } },
        { "a setting of the section", "recipe r {\n  distill {\n    epochs 3\n    |\n  }\n}\n", new[] { "student", "loss", "transfer", "batch_size" } },
        { "a form of a choice, the project's own included", "recipe r {\n  distill { student | }\n}\n", new[] { "cnn_small", "tiny_conv" } },
        { "a form's argument", "recipe r {\n  finetune { objective sam(|) }\n}\n", new[] { "rho" } },
        { "a preset", "recipe r {\n  teacher { model vit(preset: |) }\n}\n", new[] { "tiny_28", "vit_base_patch16_224" } },
        { "an override path", "recipe r {\n  finetune { objective sam(rho: 0.05) }\n  variants {\n    v { finetune.objective.| }\n  }\n}\n", new[] { "rho" } },
        { "a sweep grid path", "recipe r {\n  sweep {\n    finetune.|\n  }\n}\n", new[] { "epochs", "objective" } },
        { "a sweep option or section", "recipe r {\n  sweep {\n    |\n  }\n}\n", new[] { "limit", "variants", "finetune" } },
        { "the members of a name list", "recipe r {\n  evaluate { metrics [accuracy, |] }\n}\n", new[] { "balanced_accuracy" } },
        { "a choice's forms nested in a form's argument", "recipe r {\n  analyze { estimator renyi(kernel: |) }\n}\n", new[] { "fixed", "median" } },
        { "true and false", "recipe r {\n  analyze { bottleneck | }\n}\n", new[] { "true", "false" } },
        { "a form in a variant's override", "recipe r {\n  variants {\n    v { distill.loss = | }\n  }\n}\n", new[] { "kd", "labels_only" } },
        { "the recipe's variants for evaluate.reference", "recipe r {\n  evaluate { reference | }\n  variants {\n    plain { }\n    sharp { }\n  }\n}\n", new[] { "plain", "sharp" } },
    };

    [Theory]
    [MemberData(nameof(CompletionCases))]
    public async Task Completion_offers_what_may_be_written_there(string what, string marked, string[] expected)
    {
        var offset = marked.IndexOf('|');
        var text = marked.Remove(offset, 1);
        var line = text.Substring(0, offset).Count(c => c == '\n');
        var character = offset - (text.LastIndexOf('\n', Math.Max(0, offset - 1)) + 1);
        var path = InTestRecipes("lsp_completion.distill");
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var result = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line, character } });
        var items = result!["items"]!.AsArray();
        var labels = items.Select(i => (string)i!["label"]!).ToList();
        foreach (var label in expected) Assert.True(labels.Contains(label), $"{what}: `{label}` not offered; got {string.Join(", ", labels)}");
        // Every item says in one line what it is.
        Assert.All(items, i => Assert.False(string.IsNullOrWhiteSpace((string?)i!["detail"]), (string?)i["label"]));
    }

    [Fact]
    public async Task A_forms_completion_is_a_snippet_with_its_required_arguments()
    {
        var path = InTestRecipes("lsp_snippet.distill");
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), "recipe r {\n  finetune { objective  }\n}\n");
        var result = await client.RequestAsync("textDocument/completion", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 1, character = 23 } });
        var sam = result!["items"]!.AsArray().Single(i => (string)i!["label"]! == "sam")!;
        Assert.Equal(2, (int)sam["insertTextFormat"]!);
        Assert.StartsWith("sam(", (string)sam["insertText"]!);
    }

    [Fact]
    public async Task Hover_over_a_setting_shows_the_words_of_the_language_reference()
    {
        // The `epochs` row of docs/language.md's finetune table: | name | type | default | range | description |
        var docs = File.ReadAllLines(Repo.Path("docs", "language.md"));
        int section = Array.IndexOf(docs, "### finetune");
        Assert.True(section >= 0, "docs/language.md has a finetune section");
        var row = docs.Skip(section).First(l => l.StartsWith("| `epochs` |", StringComparison.Ordinal));
        var cells = row.Split(" | ").Select(c => c.Trim(' ', '|')).ToArray();

        var path = InTestRecipes("lsp_hover.distill");
        var text = "recipe r {\n  finetune { epochs 3 }\n}\n";
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var hover = await client.RequestAsync("textDocument/hover", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 1, character = 15 } });
        var value = (string)hover!["contents"]!["value"]!;
        Assert.Contains("Type: " + cells[1], value);
        Assert.Contains("Default: " + cells[2], value);
        Assert.Contains("Range: " + cells[3], value);
        Assert.Contains(cells[4], value);
        Assert.Equal(1, (int)hover["range"]!["start"]!["line"]!);
        Assert.Equal(13, (int)hover["range"]!["start"]!["character"]!);
    }

    [Fact]
    public async Task Hover_over_a_range_lists_its_members_and_over_a_preset_its_dimensions()
    {
        var path = InTestRecipes("lsp_hover_values.distill");
        var text = "recipe r {\n  teacher { model vit(preset: tiny_28) }\n  data { classes 2..5 }\n}\n";
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var range = await client.RequestAsync("textDocument/hover", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 2, character = 18 } });
        Assert.Contains("4 members: 2, 3, 4, 5", (string)range!["contents"]!["value"]!);
        var preset = await client.RequestAsync("textDocument/hover", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 1, character = 32 } });
        Assert.Contains("width 64, depth 4, 4 heads", (string)preset!["contents"]!["value"]!);
    }

    [Fact]
    public async Task Definition_of_a_projects_own_form_is_its_CSharp_record()
    {
        var recipe = InTestRecipes("own.distill");
        var text = File.ReadAllText(recipe);
        var at = text.IndexOf("tiny_conv", StringComparison.Ordinal) + 2;
        var line = text.Substring(0, at).Count(c => c == '\n');
        var character = at - (text.LastIndexOf('\n', at) + 1);

        var source = InTestRecipes("OwnForms.cs");
        var lines = File.ReadAllLines(source);
        int declared = Array.FindIndex(lines, l => l.Contains("record TinyConvOptions(", StringComparison.Ordinal));

        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(recipe), text);
        var location = await client.RequestAsync("textDocument/definition", new { textDocument = new { uri = Repo.Uri(recipe) }, position = new { line, character } });
        Assert.Equal(Repo.Uri(source), (string)location!["uri"]!);
        Assert.Equal(declared, (int)location["range"]!["start"]!["line"]!);
        Assert.Equal(lines[declared].IndexOf("TinyConvOptions", StringComparison.Ordinal), (int)location["range"]!["start"]!["character"]!);
    }

    [Fact]
    public async Task Definition_of_an_override_path_is_the_base_setting_and_of_the_reference_its_variant()
    {
        var path = InTestRecipes("lsp_definition.distill");
        var text = "recipe r {\n  finetune { objective sam(rho: 0.05) }\n  evaluate { reference \"plain\" }\n  variants {\n    plain { finetune.objective.rho = 0.1 }\n  }\n}\n";
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var rho = await client.RequestAsync("textDocument/definition", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 4, character = 32 } });
        Assert.Equal(1, (int)rho!["range"]!["start"]!["line"]!);
        Assert.Equal(27, (int)rho["range"]!["start"]!["character"]!);
        var variant = await client.RequestAsync("textDocument/definition", new { textDocument = new { uri = Repo.Uri(path) }, position = new { line = 2, character = 26 } });
        Assert.Equal(4, (int)variant!["range"]!["start"]!["line"]!);
        Assert.Equal(4, (int)variant["range"]!["start"]!["character"]!);
    }

    [Fact]
    public async Task Document_symbols_and_folding_follow_the_blocks()
    {
        var path = InTestRecipes("quickstart_copy.distill");
        var text = File.ReadAllText(Repo.Path("recipes", "quickstart.distill"));
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var symbols = (await client.RequestAsync("textDocument/documentSymbol", new { textDocument = new { uri = Repo.Uri(path) } }))!.AsArray();
        var recipe = Assert.Single(symbols)!;
        Assert.Equal("quickstart", (string)recipe["name"]!);
        var children = recipe["children"]!.AsArray().Select(c => (string)c!["name"]!).ToList();
        Assert.Equal(new[] { "teacher", "data", "finetune", "distill", "evaluate", "analyze", "run", "variants" }, children);
        var folds = (await client.RequestAsync("textDocument/foldingRange", new { textDocument = new { uri = Repo.Uri(path) } }))!.AsArray();
        Assert.Contains(folds, f => (string?)f!["kind"] == "comment" && (int)f["startLine"]! == 0);
        Assert.Contains(folds, f => (int)f!["startLine"]! == 9);
    }

    public static TheoryData<string> ShippedRecipes()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "recipes", Path.Combine("tests", "MiDistill.TestRecipes"), "templates" })
            foreach (var file in Directory.EnumerateFiles(Repo.Path(folder), "*.distill", SearchOption.AllDirectories)
                         .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal)).OrderBy(f => f, StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(Repo.Root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedRecipes))]
    public async Task Formatting_a_shipped_recipe_is_idempotent_and_restores_its_layout(string relative)
    {
        var path = Repo.Path(relative);
        var text = File.ReadAllText(path);
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        // Shipped recipes are in the canonical layout (CI checks with `midistill-lsp format --check`): nothing to change.
        Assert.Empty((await Format(client, path))!.AsArray());

        // The same recipe without indentation and with spaces around its punctuation formats back to the shipped text.
        var scrambled = Scramble(text);
        Assert.NotEqual(text, scrambled);
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Repo.Uri(path), version = 2 }, contentChanges = new[] { new { text = scrambled } } });
        var edits = (await Format(client, path))!.AsArray();
        var formatted = (string)Assert.Single(edits)!["newText"]!;
        Assert.Equal(text, formatted);
    }

    [Fact]
    public async Task Formatting_leaves_the_compiled_recipe_unchanged()
    {
        // A recipe in no shipped layout: one block per line, odd spacing, blank lines.
        var path = InTestRecipes("lsp_format.distill");
        var text = "\n\nrecipe   lsp_format{\n\n  teacher{model narrow_vit( depth : 2 )\n pretrain upstream(classes:[0,1] ,epochs:2,batch_size:16)}\n" +
                   "data{source stripes(size:28,seed:3) classes [ 2,3 ]   validation 25%}\n   finetune{objective sam(rho:0.05);epochs 3;batch_size 8}\n" +
                   "distill{student tiny_conv(hidden:8);loss smoothed_kd(smoothing:0.05,temperature:2);epochs 8;batch_size 8}\n\n\n run{threads 1}\n" +
                   "variants{\n a{finetune.epochs=4}\n   bb   {distill.epochs = 2}\n}\n}";
        Assert.Empty(CompilerReference.Diagnostics(Repo.TestRecipes, path, text));
        await using var client = await LspClient.StartAsync();
        await client.OpenAsync(Repo.Uri(path), text);
        var formatted = (string)Assert.Single((await Format(client, path))!.AsArray())!["newText"]!;
        Assert.NotEqual(text, formatted);
        await client.NotifyAsync("textDocument/didChange", new { textDocument = new { uri = Repo.Uri(path), version = 2 }, contentChanges = new[] { new { text = formatted } } });
        Assert.Empty((await Format(client, path))!.AsArray());

        // The generated recipe class, apart from the trace comments that name source lines.
        static string Code(string text) => string.Join("\n", CompilerReference.GeneratedRecipeCode(Repo.TestRecipes, InTestRecipes("lsp_format.distill"), text)
            .Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Assert.Equal(Code(text), Code(formatted));
        Assert.Contains("LspFormat", Code(text));
    }

    [Fact]
    public async Task Shutdown_then_exit_ends_the_process_with_zero()
    {
        var client = await LspClient.StartAsync();
        await client.RequestAsync("shutdown", new { });
        await client.NotifyAsync("exit", new { });
        Assert.True(client.WaitForExit(10_000));
        Assert.Equal(0, client.ExitCode);
        await client.DisposeAsync();
    }

    private static Task<JsonNode?> Format(LspClient client, string path) =>
        client.RequestAsync("textDocument/formatting", new { textDocument = new { uri = Repo.Uri(path) }, options = new { tabSize = 2, insertSpaces = true } });

    // Outside comments and strings: no indentation, a space inside every bracket and before every comma and colon.
    // A line with a trailing comment stays: the comment keeps its column, which is the author's (see RecipeFormatter).
    private static string Scramble(string text) =>
        string.Join("\n", text.Split('\n').Select(line =>
        {
            var trimmed = line.TrimStart();
            if (trimmed.IndexOf('#') > 0) return line;
            int cut = trimmed.IndexOfAny(new[] { '#', '"' });
            var code = cut < 0 ? trimmed : trimmed.Substring(0, cut);
            var rest = cut < 0 ? "" : trimmed.Substring(cut);
            code = code.Replace("(", "( ").Replace("[", "[ ").Replace(",", " ,").Replace(":", " :");
            return code + rest;
        }));
}
