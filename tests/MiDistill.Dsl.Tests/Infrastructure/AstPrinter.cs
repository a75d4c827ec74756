using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Ast;

namespace MiDistill.Dsl.Tests.Infrastructure;

/// <summary>
/// Prints a syntax tree as compact s-expressions, so parser tables read as (input, tree) pairs:
/// <c>(recipe q (section data (setting classes (range 5 9))))</c>. Numbers print their parsed value
/// and kind, so a misread exponent or sign shows up, not just the text that was written.
/// </summary>
public static class AstPrinter
{
    public static string Print(RecipeFileNode file) => string.Join(" ", file.Recipes.Select(Print));

    public static string Print(RecipeNode recipe)
    {
        var parts = new[] { "recipe", recipe.Name.Text }
            .Concat(recipe.Sections.Select(Print))
            .Concat(recipe.VariantBlocks.Select(Print))
            .Concat(recipe.Sweeps.Select(Print));
        return "(" + string.Join(" ", parts) + ")";
    }

    private static string Print(SectionNode section) =>
        "(" + string.Join(" ", new[] { "section", section.Name.Text }.Concat(section.Settings.Select(s => $"(setting {s.Name.Text} {Print(s.Value)})"))) + ")";

    private static string Print(VariantsNode block) =>
        "(" + string.Join(" ", new[] { "variants" }.Concat(block.Variants.Select(Print))) + ")";

    private static string Print(SweepNode sweep) =>
        "(" + string.Join(" ", new[] { "sweep" }.Concat(sweep.Entries.Select(e => $"(grid {e.PathText} {Print(e.Value)})"))) + ")";

    private static string Print(VariantNode variant) =>
        "(" + string.Join(" ", new[] { "variant", variant.Name.Text }.Concat(variant.Assignments.Select(a => $"(set {a.PathText} {Print(a.Value)})"))) + ")";

    public static string Print(ValueNode value) => value switch
    {
        NumberNode { IsPercent: true } n => $"(percent {Num(n.Value)})",
        NumberNode { IsInteger: true } n => $"(int {Num(n.Value)})",
        NumberNode n => $"(float {Num(n.Value)})",
        StringNode s => Quote(s.Value),
        NameNode n => n.Name.Text,
        CallNode c => "(" + string.Join(" ", new[] { "call", c.Name.Text }.Concat(c.Arguments.Select(a => $"(arg {a.Name.Text} {Print(a.Value)})"))) + ")",
        ListNode l => "(list" + string.Concat(l.Items.Select(i => " " + Print(i))) + ")",
        RangeNode r => $"(range {r.From} {r.To})",
        _ => "(?)",
    };

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
            sb.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\t' => "\\t", _ => c.ToString() });
        return sb.Append('"').ToString();
    }
}
