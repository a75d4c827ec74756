using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace MiDistill.Dsl.Tests.Infrastructure;

/// <summary>
/// Random recipe files of about a given length that the checker accepts: as many recipes as fit,
/// each with the required settings and a random choice of the others, in every value shape the
/// grammar has (numbers, percentages, ranges, strings, names, lists, calls nested three deep),
/// with variants, a sweep, comments and both layouts (one setting a line, or `;` between).
/// </summary>
public static class RecipeTextGenerator
{
    public static string Generate(int seed, int length)
    {
        var random = new Random(seed);
        var file = new StringBuilder();
        for (int index = 0; ; index++)
        {
            // The last recipe takes what is left, so a file ends near the length asked for.
            int left = length - file.Length;
            var recipe = Recipe(random, "r" + index.ToString(CultureInfo.InvariantCulture), Math.Min(left, 400 + random.Next(1200)));
            if (index > 0 && recipe.Length > left) break;
            file.Append(recipe);
        }
        return file.ToString();
    }

    private static string Recipe(Random random, string name, int budget)
    {
        // Section name -> settings, in order; the required ones first.
        var sections = new List<(string Name, List<string> Settings, bool OneLine)>
        {
            ("teacher", new List<string> { $"pretrain upstream(classes: 0..4, epochs: {1 + random.Next(3)})" }, random.Next(2) == 0),
            ("data", new List<string> { "classes 5..9" }, random.Next(2) == 0),
        };
        foreach (var (section, setting) in Optional(random).OrderBy(_ => random.Next()))
        {
            List<string>? existing = sections.FirstOrDefault(s => s.Name == section).Settings;
            bool added = existing is null;
            var settings = existing ?? new List<string>();
            if (added) sections.Add((section, settings, random.Next(2) == 0));
            // Each setting at most once: the pool's first word is the setting's name.
            var key = setting.Split(' ')[0];
            if (settings.Any(s => s.Split(' ')[0] == key)) continue;
            settings.Add(setting);
            if (Render(name, sections).Length > budget)
            {
                settings.RemoveAt(settings.Count - 1);
                if (added) sections.RemoveAt(sections.Count - 1);
            }
        }
        var text = Render(name, sections);
        return random.Next(3) == 0 && text.Length + 40 <= budget ? "# generated recipe " + name + ", for timing\n" + text : text;

        static string Render(string recipeName, List<(string Name, List<string> Settings, bool OneLine)> parts)
        {
            var sb = new StringBuilder("recipe ").Append(recipeName).Append(" {\n");
            foreach (var (section, settings, preferOneLine) in parts)
            {
                // A comment runs to the end of the line, so a section with one is never on one line.
                bool oneLine = preferOneLine && settings.Count <= 3 && !settings.Any(s => s.Contains('#') || s.Contains("//"));
                sb.Append("  ").Append(section).Append(" {");
                // `;` may end a setting, an assignment or a grid, but not a variant.
                if (oneLine) sb.Append(' ').Append(string.Join(section == "variants" ? " " : "; ", settings)).Append(" }\n");
                else
                {
                    sb.Append('\n');
                    foreach (var s in settings) sb.Append("    ").Append(s).Append('\n');
                    sb.Append("  }\n");
                }
            }
            return sb.Append("}\n").ToString();
        }
    }

    // (section, setting) pairs the checker accepts in any combination with each other.
    private static IEnumerable<(string, string)> Optional(Random random)
    {
        string Number(double min, double max) => Math.Round(min + random.NextDouble() * (max - min), 3).ToString("R", CultureInfo.InvariantCulture);
        int Int(int min, int max) => random.Next(min, max + 1);
        var seeds = Enumerable.Range(0, 1 + random.Next(12)).Select(i => i * 3 + random.Next(3)).Distinct();

        yield return ("teacher", $"model vit(preset: {(random.Next(2) == 0 ? "micro_28" : "tiny_28")})");
        yield return ("data", $"regime few_shot(per_class: {Int(5, 50)})");
        yield return ("data", $"validation {Int(0, 30)}%");
        yield return ("data", $"test_images {Int(500, 2000)}");   // the analyses probe 500 test images
        yield return ("data", $"seed {Int(0, 99)}   # the data draw");
        yield return ("finetune", $"objective sam(rho: {Number(0.01, 0.5)})");
        yield return ("finetune", $"reweight mlp(top: 1, alpha: {Number(0, 1)}, schedule: ramp(epochs: {Int(1, 5)}))");
        yield return ("finetune", $"optimizer adamw(lr: {Number(0.001, 0.01)}, weight_decay: {Number(0, 0.1)})");
        yield return ("finetune", $"epochs {Int(1, 30)}");
        yield return ("finetune", $"batch_size {Int(8, 64)}");
        yield return ("finetune", "augment [crop(padding: 4), flip]");
        yield return ("distill", $"student cnn_small(width: {Int(4, 32)})");
        yield return ("distill", $"loss kd(temperature: {Int(1, 8)}, weight: {Number(0, 1)})");
        yield return ("distill", $"epochs {Int(1, 40)}");
        yield return ("distill", $"transfer {Int(0, 50)}");
        yield return ("evaluate", random.Next(2) == 0 ? "metrics [accuracy]" : "metrics [accuracy, balanced_accuracy]");
        yield return ("run", "threads 1");
        yield return ("run", $"seed [{string.Join(", ", seeds)}]");
        yield return ("run", "output \"runs/generated\"  // relative to the project");
        yield return ("analyze", "mi_per_block true");
        yield return ("analyze", "bottleneck true");
        yield return ("variants", "vanilla { finetune.objective = cross_entropy; finetune.reweight = none }");
        yield return ("variants", "labels_only { distill.loss = labels_only }");
        // Beyond the base's distill.epochs (at most 40), so that no sweep point repeats a variant.
        yield return ("variants", $"longer {{ distill.epochs = {Int(41, 60)} }}");
        yield return ("variants", "remem { }");
        yield return ("sweep", $"finetune.epochs [{Int(1, 3)}, {Int(4, 6)}]");
    }
}
