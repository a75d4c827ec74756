using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Semantics.Schema;

namespace MiDistill.LanguageServer.Features;

/// <summary>
/// A setting's, argument's or form's description in the words of docs/language.md: the same type,
/// default and range texts its reference tables show (SchemaDocs renders those tables from the same schema).
/// </summary>
public static class SchemaText
{
    /// <summary>The Default column of the reference tables.</summary>
    public static string Default(Argument a) =>
        a.Default is not null ? "`" + a.Default + "`"
        : a.DefaultDoc is not null ? (a.DefaultDoc.StartsWith("required", System.StringComparison.Ordinal) ? a.DefaultDoc : "from `" + a.DefaultDoc + "`")
        : "required";

    /// <summary>The Description column: the doc, and the per-process note the tables add.</summary>
    public static string Doc(Argument a) =>
        a.PerProcess ? a.Doc + "; one value per process: not in a variant or a sweep (MD0170), the command line may override it" : a.Doc;

    public static string Setting(string label, Argument a)
    {
        var md = new StringBuilder();
        md.Append("**`").Append(label).Append("`**: ").Append(Doc(a)).Append("\n\n");
        md.Append("- Type: ").Append(a.Type.Describe()).Append('\n');
        md.Append("- Default: ").Append(Default(a)).Append('\n');
        var range = a.Type.DescribeRange();
        if (range.Length > 0) md.Append("- Range: ").Append(range).Append('\n');
        return md.ToString();
    }

    public static string Form(string choice, Form form)
    {
        var md = new StringBuilder();
        md.Append("**`").Append(form.Name).Append("`** (").Append(choice).Append("): ").Append(form.Doc).Append('\n');
        if (form.Arguments.Count > 0)
        {
            md.Append("\n| Argument | Type | Default | Range | Description |\n|---|---|---|---|---|\n");
            foreach (var a in form.Arguments)
                md.Append("| `").Append(a.Name).Append("` | ").Append(Cell(a.Type.Describe())).Append(" | ").Append(Cell(Default(a)))
                  .Append(" | ").Append(Cell(a.Type.DescribeRange())).Append(" | ").Append(Cell(Doc(a))).Append(" |\n");
        }
        if (form.Facts is { } facts)
            md.Append("\nData: ").Append(facts.Title).Append(", ").Append(facts.Classes).Append(" classes\n");
        if (VitPresets.Find(form.Name) is { } preset) md.Append('\n').Append(Preset(preset));
        return md.ToString();
    }

    /// <summary>What a preset resolves to: its dimensions.</summary>
    public static string Preset(VitPreset p) => string.Create(CultureInfo.InvariantCulture,
        $"Preset `{p.Name}`: image {p.ImageSize}x{p.ImageSize}, patch {p.PatchSize}, {p.Channels} channel(s), width {p.EmbedDim}, depth {p.Depth}, {p.Heads} heads, MLP ratio {p.MlpRatio}.\n");

    public static string Section(Section s) =>
        "**`" + s.Name + "`** (section): " + s.Doc + "\n\nSettings: " + string.Join(", ", s.Settings.Select(a => "`" + a.Name + "`")) + "\n";

    /// <summary>The first sentence (up to the first period followed by a space), for completion lists.</summary>
    public static string OneLine(string doc)
    {
        var end = doc.IndexOf(". ", System.StringComparison.Ordinal);
        return end < 0 ? doc : doc.Substring(0, end + 1);
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
