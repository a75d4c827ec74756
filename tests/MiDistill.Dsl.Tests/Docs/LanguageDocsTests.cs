using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Docs;

/// <summary>docs/language.md's reference tables are the schema's rendering; MIDISTILL_ACCEPT=1 rewrites them.</summary>
public class LanguageDocsTests
{
    private static readonly string DocsPath = Repo.Path("docs", "language.md");

    [Fact]
    public void Schema_tables_match_the_schema() =>
        AssertRegion(SchemaDocs.SchemaBegin, SchemaDocs.SchemaEnd, SchemaDocs.RenderMarkdown(BuiltInSchema.Value));

    [Fact]
    public void Diagnostic_table_matches_the_descriptors() =>
        AssertRegion(SchemaDocs.DiagnosticsBegin, SchemaDocs.DiagnosticsEnd, SchemaDocs.RenderDiagnostics());

    [Fact]
    public void Every_help_anchor_has_a_heading()
    {
        bool inCode = false;
        var anchors = File.ReadAllLines(DocsPath)
            .Where(l => { if (l.StartsWith("```")) inCode = !inCode; return !inCode && l.StartsWith("#"); })
            .Select(l => GitHubAnchor(l.TrimStart('#').Trim()))
            .ToHashSet();
        var missing = Descriptors.All.Select(d => d.HelpAnchor).Distinct().Where(a => !anchors.Contains(a)).ToList();
        Assert.True(missing.Count == 0, "no heading for #" + string.Join(", #", missing));
    }

    [Fact]
    public void Every_setting_is_documented()
    {
        var docs = File.ReadAllText(DocsPath);
        foreach (var section in BuiltInSchema.Value.Sections)
            foreach (var setting in section.Settings)
                Assert.Contains("| `" + setting.Name + "` |", docs);
    }

    // GitHub: lower-case, drop punctuation other than '-' and '_', spaces to '-'.
    private static string GitHubAnchor(string heading) =>
        Regex.Replace(heading.ToLowerInvariant(), @"[^a-z0-9 _-]", "").Replace(' ', '-');

    private static void AssertRegion(string begin, string end, string rendered)
    {
        var text = File.ReadAllText(DocsPath).Replace("\r\n", "\n");
        int start = text.IndexOf(begin, System.StringComparison.Ordinal);
        int stop = text.IndexOf(end, System.StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"docs/language.md needs {begin} ... {end}");
        var current = text.Substring(start + begin.Length, stop - start - begin.Length);
        var expected = "\n" + rendered.Trim() + "\n";
        if (current == expected) return;
        if (Approvals.Accepting)
        {
            File.WriteAllText(DocsPath, text.Substring(0, start + begin.Length) + expected + text.Substring(stop));
            return;
        }
        Assert.Fail($"docs/language.md between {begin} and {end} differs from the rendering; rerun the tests with MIDISTILL_ACCEPT=1 to rewrite it.");
    }
}
