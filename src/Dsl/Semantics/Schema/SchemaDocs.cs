using System.Collections.Generic;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Diagnostics;

namespace MiDistill.Dsl.Semantics.Schema;

/// <summary>
/// Renders the reference tables of docs/language.md from the schema and the diagnostic table, so the
/// documentation cannot drift from what the compiler accepts (a test compares the two).
/// </summary>
public static class SchemaDocs
{
    public const string SchemaBegin = "<!-- schema:begin -->";
    public const string SchemaEnd = "<!-- schema:end -->";
    public const string DiagnosticsBegin = "<!-- diagnostics:begin -->";
    public const string DiagnosticsEnd = "<!-- diagnostics:end -->";

    /// <summary>One heading per section (its anchor is the section's name) with a settings table,
    /// then the forms of every choice setting with their arguments.</summary>
    public static string RenderMarkdown(RecipeSchema schema)
    {
        var md = new StringBuilder();
        var choices = new List<(string Path, ChoiceType Type)>();

        foreach (var section in schema.Sections)
        {
            md.Append("### ").Append(section.Name).Append("\n\n");
            md.Append(section.Doc).Append("\n\n");
            ArgumentTable(md, "Setting", section.Settings);
            md.Append('\n');
            foreach (var setting in section.Settings)
                CollectChoices(section.Name + "." + setting.Name, setting, choices);
        }

        md.Append("### Forms\n\n");
        md.Append("The values of choice settings. A form without arguments is written as a bare name (`none`); ")
          .Append("a form with arguments as a call (`mlp(top: 2)`), where every argument left out takes its default.\n\n");
        foreach (var (path, type) in choices)
        {
            md.Append("#### ").Append(path).Append("\n\n");
            foreach (var form in type.Forms)
            {
                md.Append("- `").Append(form.Name).Append("`: ").Append(form.Doc).Append('\n');
            }
            md.Append('\n');
            foreach (var form in type.Forms.Where(f => f.Arguments.Count > 0))
            {
                md.Append("Arguments of `").Append(form.Name).Append("`:\n\n");
                ArgumentTable(md, "Argument", form.Arguments);
                md.Append('\n');
            }
        }
        return md.ToString();
    }

    /// <summary>Every diagnostic id, on a row that is its help link's anchor, with its severity, category, title,
    /// description, and the reference section that explains its rule.</summary>
    public static string RenderDiagnostics()
    {
        var md = new StringBuilder();
        md.Append("| Id | Severity | Category | Title | Description | Explained in |\n|---|---|---|---|---|---|\n");
        foreach (var d in Descriptors.All)
            md.Append("| <a id=\"").Append(d.Anchor).Append("\"></a>").Append(d.Id).Append(" | ").Append(d.Severity == DiagnosticSeverity.Error ? "error" : "warning")
              .Append(" | ").Append(d.Category.ToString().ToLowerInvariant())
              .Append(" | ").Append(Cell(d.Title)).Append(" | ").Append(Cell(d.Description)).Append(" | [").Append(d.HelpAnchor).Append("](#").Append(d.HelpAnchor).Append(") |\n");
        return md.ToString();
    }

    private static void ArgumentTable(StringBuilder md, string header, IReadOnlyList<Argument> arguments)
    {
        md.Append("| ").Append(header).Append(" | Type | Default | Range | Description |\n|---|---|---|---|---|\n");
        foreach (var a in arguments)
        {
            var @default = a.Default is not null ? "`" + a.Default + "`" : a.DefaultDoc is not null ? (a.DefaultDoc.StartsWith("required", System.StringComparison.Ordinal) ? a.DefaultDoc : "from `" + a.DefaultDoc + "`") : "required";
            md.Append("| `").Append(a.Name).Append("` | ").Append(Cell(a.Type.Describe())).Append(" | ").Append(Cell(@default))
              .Append(" | ").Append(Cell(a.Type.DescribeRange())).Append(" | ").Append(Cell(a.PerProcess ? a.Doc + "; one value per process: not in a variant or a sweep (MD0170), the command line may override it" : a.Doc)).Append(" |\n");
        }
    }

    // Shared choice types (the optimizer appears in three sections) are listed once, under the first path.
    private static void CollectChoices(string path, Argument argument, List<(string Path, ChoiceType Type)> seen)
    {
        var choice = argument.Type switch { ChoiceType c => c, FormListType l => l.Item, _ => null };
        if (choice is null) return;
        if (seen.Any(s => ReferenceEquals(s.Type, choice))) return;
        seen.Add((path, choice));
        foreach (var form in choice.Forms)
            foreach (var inner in form.Arguments)
                CollectChoices(path + "." + inner.Name, inner, seen);
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
