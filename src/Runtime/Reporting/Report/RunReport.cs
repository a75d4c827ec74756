using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// report.html: one self-contained page per run folder, made from its files alone (so <c>report</c>
/// regenerates it for old runs): results with paired statistics, training curves per stage and
/// variant, the MI analyses with their plots and findings, the settings that differ from the
/// defaults, the recipe text, timings, and the machine and versions.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";

    /// <summary>Writes report.html into <paramref name="runFolder"/> and returns its path.</summary>
    public static string Write(string runFolder, TextWriter? output = null)
    {
        var run = RunFiles.Read(runFolder);
        var path = Path.Combine(run.Path, FileName);
        Build(run).Save(path);
        output?.WriteLine($"Report: {path}");
        return path;
    }

    internal static HtmlPage Build(RunFiles run)
    {
        var variants = Variants(run);
        var recipe = variants.Count > 0 && variants[0].TryGetProperty("recipe", out var name) ? name.GetString() ?? "?" : "?";
        var page = new HtmlPage($"{recipe} · {run.Name}");
        page.Heading($"MiDistill run: {recipe}", 1)
            .Paragraph($"{run.Name} · {variants.Count} variant(s): {string.Join(", ", variants.Select(v => v.GetProperty("variant").GetString()))}"
                + (run.Environment is { } env ? $" · started {env.Started} on {env.Host}" : ""), "muted");

        page.Heading("Results");
        if (run.ResultsMarkdown is { } results) page.Raw("<div id=\"results\">\n" + MarkdownHtml.Render(results) + "</div>\n");
        else page.Paragraph("No results yet: the run has not finished (results.md is missing).", "muted");

        Curves(page, run.Metrics, "");
        Analysis(page, run.Path);
        SettingsSection(page, variants);
        page.Heading("Recipe");
        page.Preformatted(run.RecipeText ?? "(recipe.distill is missing)");
        Timings(page, run.Metrics);
        Machine(page, run.Environment);
        return page;
    }

    internal static List<JsonElement> Variants(RunFiles run)
    {
        using var document = JsonDocument.Parse(run.SettingsJson);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{Path.Combine(run.Path, RunFolder.SettingsFileName)}: expected a list of variants");
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Loss and accuracy curves of every training stage (in the order the stages ran), one line per variant and seed.</summary>
    internal static void Curves(HtmlPage page, IReadOnlyList<MetricsRecord> metrics, string labelPrefix)
    {
        var stages = metrics.Select(m => m.Stage).Where(s => s != "evaluate").Distinct().ToList();
        if (stages.Count == 0) return;
        page.Heading("Training curves");
        foreach (var stage in stages)
        {
            page.Heading(stage, 3);
            page.Image(TrainingCurves.Png($"{stage}: training loss", "loss", TrainingCurves.Of(metrics, stage, "loss", labelPrefix)), $"{stage} loss per epoch");
            var accuracy = TrainingCurves.Of(metrics, stage, "train_acc", labelPrefix).Select(s => s with { Label = s.Label + " train" })
                .Concat(TrainingCurves.Of(metrics, stage, "val_acc", labelPrefix).Select(s => s with { Label = s.Label + " validation" })).ToList();
            if (accuracy.Count > 0)
                page.Image(TrainingCurves.Png($"{stage}: accuracy", "accuracy", accuracy, percent: true), $"{stage} train and validation accuracy per epoch");
        }
    }

    private static void Analysis(HtmlPage page, string runFolder)
    {
        var folder = Path.Combine(runFolder, Information.AnalysisReport.FolderName);
        if (!Directory.Exists(folder)) return;
        page.Heading("MI analyses");
        var summary = Path.Combine(folder, "summary.md");
        if (File.Exists(summary)) page.Raw(MarkdownHtml.Render(File.ReadAllText(summary)));
        foreach (var png in Directory.GetFiles(folder, "*.png").OrderBy(f => f, StringComparer.Ordinal))
            page.Image(File.ReadAllBytes(png), Path.GetFileName(png));
    }

    private static void SettingsSection(HtmlPage page, IReadOnlyList<JsonElement> variants)
    {
        page.Heading("Settings that differ from the defaults");
        if (variants.Count == 0) { page.Paragraph("settings.json lists no variants.", "muted"); return; }
        var flat = variants.Select(SettingsFlattener.Flatten).ToList();
        var defaults = flat.Select(f => Defaults(f)).ToList();
        var paths = flat.SelectMany(f => f.Keys).Distinct(StringComparer.Ordinal)
            .Where(p => p is not ("recipe" or "variant") && flat.Select((f, i) => Value(f, p) != Value(defaults[i], p)).Any(d => d))
            .ToList();
        var header = new List<string> { "setting", "default" };
        header.AddRange(variants.Select(v => v.GetProperty("variant").GetString() ?? "?"));
        page.Paragraph("Every resolved setting, defaults included, is in settings.json; `show <recipe>` prints them for a build.", "muted");
        page.Table(header, paths.Select(p => (IReadOnlyList<string>)new[] { p, Value(defaults[0], p) }.Concat(flat.Select(f => Value(f, p))).ToList()));
    }

    private static string Value(IReadOnlyDictionary<string, string> settings, string path) => settings.TryGetValue(path, out var v) ? v : "—";

    // The runtime's defaults for a variant: what a recipe that sets nothing resolves to (data classes
    // have no default, so every recipe lists them).
    private static IReadOnlyDictionary<string, string> Defaults(IReadOnlyDictionary<string, string> variant) =>
        SettingsFlattener.Flatten(global::MiDistill.Runtime.RunFolders.SettingsJson.Serialize(new ExperimentOptions
        {
            Recipe = variant.TryGetValue("recipe", out var r) ? JsonSerializer.Deserialize<string>(r)! : "experiment",
            Variant = variant.TryGetValue("variant", out var v) ? JsonSerializer.Deserialize<string>(v)! : "default",
            Teacher = new TeacherOptions(),
            Data = new DataOptions { Classes = Array.Empty<int>() },
        }));

    internal static void Timings(HtmlPage page, IReadOnlyList<MetricsRecord> metrics)
    {
        var training = metrics.Where(m => m.Stage != "evaluate" && m.Values.ContainsKey("epoch_s")).ToList();
        if (training.Count == 0) return;
        string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "";
        page.Heading("Timings");
        page.Table(new[] { "stage", "variant", "seed", "epochs", "seconds", "s/epoch", "waiting for data" },
            training.GroupBy(m => (m.Stage, m.Variant, m.Seed)).Select(g =>
            {
                double seconds = g.Sum(m => m.Values["epoch_s"]);
                double data = g.Where(m => m.Values.ContainsKey("data_frac")).Sum(m => m.Values["data_frac"] * m.Values["epoch_s"]);
                return (IReadOnlyList<string>)new[]
                {
                    g.Key.Stage, g.Key.Variant, g.Key.Seed.ToString(CultureInfo.InvariantCulture), g.Count().ToString(CultureInfo.InvariantCulture),
                    F(seconds, "0.0"), F(seconds / g.Count(), "0.00"), seconds > 0 ? F(100 * data / seconds, "0") + "%" : "",
                };
            }), new HashSet<int> { 2, 3, 4, 5, 6 });
    }

    private static void Machine(HtmlPage page, RunEnvironment? env)
    {
        page.Heading("Machine and versions");
        if (env is null) { page.Paragraph("Not recorded: the run was made before MiDistill wrote environment.json.", "muted"); return; }
        page.Table(new[] { "", "" }, new (string, string)[]
        {
            ("started", env.Started), ("host", env.Host), ("operating system", env.OperatingSystem), ("CPU", env.Cpu),
            ("logical cores", env.LogicalCores.ToString(CultureInfo.InvariantCulture)),
            ("memory", (env.MemoryBytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"),
            (".NET", env.DotNet), ("MiDistill", env.MiDistill), ("TorchSharp", env.TorchSharp), ("LibTorch backend", env.TorchBackend),
            ("command line", env.CommandLine),
        }.Select(r => (IReadOnlyList<string>)new[] { r.Item1, r.Item2 }));
    }
}
