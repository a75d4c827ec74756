using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>
/// The `sweep` block: its grids are crossed with each other (a cross product, first grid outermost)
/// and with every variant they apply to; each grid point becomes a named variant, bound and checked
/// like a variant's overrides, so an out-of-range point is an error at the point itself.
/// </summary>
internal sealed partial class RecipeBinder
{
    public const string SweepLimitOption = "limit";
    public const string SweepVariantsOption = "variants";
    /// <summary>Runs (variants x seeds) above which a sweep warns unless it states its own `limit`.</summary>
    public const long DefaultSweepLimit = 100;
    /// <summary>Variants the compiler expands at most: each becomes a property of generated C#.</summary>
    public const int MaxSweepVariants = 4096;

    private sealed record Grid(SweepEntryNode Entry, IReadOnlyList<ValueNode> Points, IReadOnlyList<string> Labels);

    private List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)> ExpandSweep(
        RecipeNode recipe, List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)> variants)
    {
        var sweep = recipe.Sweeps[0];
        long limit = DefaultSweepLimit;
        IReadOnlyList<Identifier>? only = null;
        var grids = new List<Grid>();
        var seen = new Dictionary<string, SourceSpan>();
        foreach (var entry in sweep.Entries)
        {
            if (entry.Path.Count == 1)
            {
                var option = entry.Path[0];
                if (option.Text == SweepLimitOption)
                {
                    if (_values.Bind(entry.Value, new IntType(1, int.MaxValue), "sweep.limit") is { } bound) limit = bound.AsInt();
                }
                else if (option.Text == SweepVariantsOption)
                    only = VariantList(entry.Value);
                else
                {
                    var hint = Suggestions.DidYouMean(option.Text, new[] { SweepLimitOption, SweepVariantsOption });
                    if (hint.Length == 0 && _schema.FindSection(option.Text) is { } section)
                        hint = $" (`{section.Name}` is a section; a grid names one of its settings, e.g. `{section.Name}.{section.Settings[0].Name} [...]`)";
                    Report(Descriptors.UnknownSweepOption, option.Span, option.Text, hint);
                }
                continue;
            }
            if (seen.TryGetValue(entry.PathText, out var first))
            {
                Report(Descriptors.DuplicateSetting, entry.Path[0].Span, "sweep " + entry.PathText, first.Line);
                continue;
            }
            seen[entry.PathText] = entry.Path[0].Span;
            if (entry.Path.Count >= 2 && _schema.FindSection(entry.Path[0].Text)?.Find(entry.Path[1].Text) is { PerProcess: true } resource)
            {
                Report(Descriptors.ProcessSettingInVariant, entry.Path[0].Span.To(entry.Path[1].Span), entry.Path[0].Text + "." + resource.Name, "a sweep", resource.Name);
                continue;
            }
            if (entry.Value is not ListNode { Items.Count: > 0 } list)
            {
                Report(Descriptors.SweepNotAList, entry.Value.Span, entry.PathText, entry.Value is ListNode ? "an empty list" : Describe(entry.Value));
                continue;
            }
            var labels = new List<string>();
            var keys = new List<string>();
            var gridPoints = new List<ValueNode>();
            for (int position = 0; position < list.Items.Count; position++)
            {
                var point = list.Items[position];
                var key = PointKey(point);
                if (keys.Contains(key))
                {
                    Report(Descriptors.RepeatedValue, point.Span, $"`{key}`", "sweep " + entry.PathText);
                    continue;
                }
                // Labels drop punctuation, so two different points can share one ("a.b" and "a_b"):
                // the later one is told apart by its position in the list, which keeps names stable.
                var label = PointLabel(point);
                if (labels.Contains(label)) label += "_" + (position + 1).ToString(CultureInfo.InvariantCulture);
                keys.Add(key);
                labels.Add(label);
                gridPoints.Add(point);
            }
            grids.Add(new Grid(entry, gridPoints, labels));
        }

        var targets = new HashSet<string>(variants.Select(v => v.Name));
        if (only is not null)
        {
            var names = variants.Select(v => v.Name).ToList();
            targets.Clear();
            foreach (var name in only)
                if (names.Contains(name.Text)) targets.Add(name.Text);
                else Report(Descriptors.UnknownForm, name.Span, name.Text, "sweep.variants", Suggestions.DidYouMean(name.Text, names), Suggestions.List(names));
        }
        if (grids.Count == 0) return variants;

        long pointCount = grids.Aggregate(1L, (n, g) => System.Math.Min(n * g.Points.Count, MaxSweepVariants + 1L));
        long expanded = variants.Count - targets.Count + targets.Count * pointCount;
        if (expanded > MaxSweepVariants)
        {
            Report(Descriptors.SweepTooLarge, sweep.Keyword.Span, MaxSweepVariants,
                $"{targets.Count} variant(s) x {string.Join(" x ", grids.Select(g => g.Points.Count))} grid points");
            return variants;
        }

        // Two grids over settings with the same last name (two `rho`s) are told apart by their whole path.
        var axisNames = grids.Select(g => g.Entry.Path[g.Entry.Path.Count - 1].Text).ToList();
        var axes = grids.Select((g, i) => axisNames.Count(n => n == axisNames[i]) > 1 ? string.Join("_", g.Entry.Path.Select(p => p.Text)) : axisNames[i]).ToList();

        var result = new List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)>();
        var points = new List<(string Name, ValueNode LastPoint)>();
        bool declaredVariants = recipe.VariantBlocks.SelectMany(b => b.Variants).Any();
        foreach (var variant in variants)
        {
            if (!targets.Contains(variant.Name))
            {
                result.Add(variant);
                continue;
            }
            foreach (var point in Cross(grids))
            {
                var settings = new Dictionary<(string, string), BoundValue>(variant.Settings);
                var parts = new List<string>();
                for (int axis = 0; axis < grids.Count; axis++)
                {
                    var entry = grids[axis].Entry;
                    var value = grids[axis].Points[point[axis]];
                    ApplyOverride(variant.Name, new AssignmentNode(entry.Path, value, value.Span), settings, Descriptors.SweepUnknownPath);
                    var label = grids[axis].Labels[point[axis]];
                    parts.Add(value is NumberNode ? axes[axis] + label : axes[axis] + "_" + label);
                }
                // Without declared variants the recipe's one variant is `default`; its points are named by their values alone.
                var name = (declaredVariants ? variant.Name + "_" : "") + string.Join("_", parts);
                result.Add((name, sweep.Keyword.Span.Line, settings));
                points.Add((name, grids[grids.Count - 1].Points[point[grids.Count - 1]]));
            }
        }

        CheckSweepNames(result, points, sweep);
        CheckSweepPoints(result, points);
        long runs = result.Sum(v => (long)SeedCount(v.Settings));
        if (runs > limit)
            Report(Descriptors.SweepOverLimit, sweep.Keyword.Span, runs, result.Count, limit);
        return result;
    }

    private IReadOnlyList<Identifier>? VariantList(ValueNode value)
    {
        var items = value is ListNode list ? list.Items : new[] { value };
        var names = new List<Identifier>();
        foreach (var item in items)
        {
            if (item is NameNode name) names.Add(name.Name);
            else Report(Descriptors.WrongType, item.Span, "sweep.variants", "a list of variant names like `[sam, remem]`", Describe(item));
        }
        return names;
    }

    private static IEnumerable<int[]> Cross(IReadOnlyList<Grid> grids)
    {
        var index = new int[grids.Count];
        if (grids.Any(g => g.Points.Count == 0)) yield break;
        while (true)
        {
            yield return (int[])index.Clone();
            int axis = grids.Count - 1;
            while (axis >= 0 && ++index[axis] == grids[axis].Points.Count) index[axis--] = 0;
            if (axis < 0) yield break;
        }
    }

    // Expanded names become C# properties: a point named like another variant (or like one of
    // C#'s inherited members) is reported at the point that made it.
    private void CheckSweepNames(List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)> variants, List<(string Name, ValueNode LastPoint)> points, SweepNode sweep)
    {
        var properties = new Dictionary<string, string>(System.StringComparer.Ordinal);
        var swept = new HashSet<string>(points.Select(p => p.Name));
        foreach (var variant in variants)
        {
            var property = ClrNames.VariantProperty(variant.Name);
            var at = points.FirstOrDefault(p => p.Name == variant.Name).LastPoint?.Span ?? sweep.Keyword.Span;
            // Clashes between declared variants are NameChecks' (MD0151 at the declaration).
            if (properties.TryGetValue(property, out var other))
            {
                if (swept.Contains(variant.Name) || swept.Contains(other))
                    Report(Descriptors.VariantPropertyClash, at, variant.Name, property, other, sweep.Keyword.Span.Line);
            }
            else
                properties[property] = variant.Name;
            if (swept.Contains(variant.Name) && (property == ClrNames.VariantsClass || System.Array.IndexOf(ClrNames.ObjectMembers, property) >= 0))
                Report(Descriptors.ReservedName, at, "variant", variant.Name, property, "is reserved (the `Settings` class or a member every C# class inherits)");
        }
    }

    private void CheckSweepPoints(List<(string Name, int Line, Dictionary<(string, string), BoundValue> Settings)> variants, List<(string Name, ValueNode LastPoint)> points)
    {
        var resolved = variants.Select(v => (v.Name, Settings: Comparable(v.Settings))).ToList();
        var pointNames = new HashSet<string>(points.Select(p => p.Name));
        foreach (var (name, last) in points)
        {
            int mine = resolved.FindIndex(r => r.Name == name);
            // Against every declared variant and the points before it; a later point reports the pair itself.
            var twin = resolved.Where((r, i) => i != mine && (i < mine || !pointNames.Contains(r.Name)))
                .FirstOrDefault(r => r.Settings.SequenceEqual(resolved[mine].Settings));
            if (twin.Name is not null)
                Report(Descriptors.SweepPointDuplicate, last.Span, name, twin.Name);
        }
    }

    // Settings as values only (no spans or lines), in one order, so equal settings compare equal.
    private static List<(string, string, ResolvedValue)> Comparable(Dictionary<(string, string), BoundValue> settings) =>
        settings.OrderBy(kv => kv.Key.Item1, System.StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, System.StringComparer.Ordinal)
            .Select(kv => (kv.Key.Item1, kv.Key.Item2, kv.Value.ToResolved())).ToList();

    private static int SeedCount(Dictionary<(string, string), BoundValue> settings) =>
        settings.TryGetValue((Paths.RunSeed.Section, Paths.RunSeed.Setting), out var seeds) && seeds.ToResolved() is IntListValue list ? System.Math.Max(1, list.Values.Count) : 1;

    /// <summary>A grid point's part of a variant name: `0.05` is `0p05`, `-1` is `m1`, `sam(rho: 0.1)` is `sam_rho0p1`.</summary>
    internal static string PointLabel(ValueNode value) => value switch
    {
        NumberNode n => NumberLabel(n.Text),
        StringNode s => s.Value.Length == 0 ? "empty" : ClrNames.Identifier(s.Value),
        NameNode n => n.Name.Text,
        CallNode c => string.Join("_", new[] { c.Name.Text }.Concat(c.Arguments.Select(a => a.Name.Text + (a.Value is NumberNode ? "" : "_") + PointLabel(a.Value)))),
        ListNode l => l.Items.Count == 0 ? "none" : string.Join("_", l.Items.Select(PointLabel)),
        RangeNode r => NumberLabel(r.From.ToString(CultureInfo.InvariantCulture)) + "to" + NumberLabel(r.To.ToString(CultureInfo.InvariantCulture)),
        _ => "point",
    };

    /// <summary>A point as written, without trivia: two points with the same key are the same point listed twice.</summary>
    private static string PointKey(ValueNode value) => value switch
    {
        NumberNode n => n.Text,
        StringNode s => "\"" + s.Value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        NameNode n => n.Name.Text,
        CallNode c => c.Name.Text + "(" + string.Join(", ", c.Arguments.Select(a => a.Name.Text + ": " + PointKey(a.Value))) + ")",
        ListNode l => "[" + string.Join(", ", l.Items.Select(PointKey)) + "]",
        RangeNode r => r.From.ToString(CultureInfo.InvariantCulture) + ".." + r.To.ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };

    private static string NumberLabel(string text)
    {
        var label = new StringBuilder();
        foreach (var c in text)
            label.Append(c switch { '-' => "m", '.' => "p", '%' => "pct", '+' => "", 'E' => "e", _ => c.ToString() });
        return label.ToString();
    }

    private static string Describe(ValueNode value) => value switch
    {
        NumberNode n => $"the number `{n.Text}`",
        StringNode s => $"the string \"{s.Value}\"",
        NameNode n => $"the name `{n.Name.Text}`",
        CallNode c => $"the form `{c.Name.Text}(...)`",
        RangeNode r => $"the range `{r.From}..{r.To}` (write its points as a list: `[{r.From}, ...]`)",
        ListNode => "a list",
        _ => "a value",
    };
}
