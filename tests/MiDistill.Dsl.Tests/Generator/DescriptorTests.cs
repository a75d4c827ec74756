using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.Dsl.Syntax;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Generator;

/// <summary>
/// The descriptor table and what reaches Roslyn: the real message format with the same text as the
/// terminal's, a description, a category, and a help link that opens the id's row of docs/language.md.
/// </summary>
public class DescriptorTests
{
    private static readonly string LanguageReference = Repo.Path("docs", "language.md");
    private static readonly string DocumentUri = RoslynDiagnostics.DocumentUri(LanguageReference);

    public static IEnumerable<object[]> Ids() => Descriptors.All.Select(d => new object[] { d.Id });

    private static DiagnosticDescriptor ById(string id) => Descriptors.All.Single(d => d.Id == id);

    [Fact]
    public void The_table_lists_every_descriptor_field_once_in_id_order()
    {
        var declared = typeof(Descriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id)
            .OrderBy(id => id, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(declared, Descriptors.All.Select(d => d.Id));
        Assert.Equal(declared.Count, declared.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Every_descriptor_has_a_description_and_the_category_of_its_id_range(string id)
    {
        var d = ById(id);
        Assert.False(string.IsNullOrWhiteSpace(d.Title));
        Assert.False(string.IsNullOrWhiteSpace(d.Description));
        Assert.NotEqual(d.Title, d.Description);
        int n = int.Parse(id.Substring(2), CultureInfo.InvariantCulture);
        var expected = n < 100 ? DiagnosticCategory.Syntax : n >= 900 ? DiagnosticCategory.Generator : DiagnosticCategory.Semantics;
        Assert.Equal(expected, d.Category);

        var roslyn = RoslynDiagnostics.Descriptor(d, DocumentUri);
        Assert.Equal(id, roslyn.Id);
        Assert.Equal(d.Title, roslyn.Title.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(d.Description, roslyn.Description.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("MiDistill." + expected, roslyn.Category);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Roslyn_gets_the_real_format_and_shows_the_same_text_as_the_terminal(string id)
    {
        var d = ById(id);
        // Pre-formatted arguments keep the text only if no format item carries a format or an alignment.
        Assert.DoesNotMatch(@"(?<!\{)\{\d+[,:]", d.MessageFormat);
        int arity = Regex.Matches(d.MessageFormat, @"(?<!\{)\{(\d+)\}").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        // A number (formatted by the invariant culture whatever the compiler's culture) and text with braces.
        var args = Enumerable.Range(0, arity).Select(i => i == 0 ? (object)0.05 : i == 1 ? "`{x}`" : "arg" + i).ToArray();
        var dsl = DslDiagnostic.Create(d, "/p/r.distill", new SourceSpan(3, 1, 2, 3, 2, 4), args);

        var roslyn = RoslynDiagnostics.Create(dsl, DocumentUri);
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";

        Assert.Equal(dsl.Message, roslyn.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(dsl.Message, roslyn.GetMessage(comma));
        // The format itself, not "{0}" around a finished message (MD0115 and MD0116 are "{0}" in the table:
        // the checker words each of their cases in full).
        if (arity > 0) Assert.Equal(d.MessageFormat, roslyn.Descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture));
        Assert.DoesNotContain("{{", roslyn.GetMessage());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Every_help_link_opens_an_existing_file_at_the_ids_anchor(string id)
    {
        var d = ById(id);
        var link = new Uri(RoslynDiagnostics.Descriptor(d, DocumentUri).HelpLinkUri);

        Assert.True(link.IsFile, link.ToString());
        Assert.Equal(Path.GetFullPath(LanguageReference), link.LocalPath);
        Assert.True(File.Exists(link.LocalPath), link.LocalPath);
        Assert.Equal("#" + id.ToLowerInvariant(), link.Fragment);
        Assert.Contains($"<a id=\"{d.Anchor}\"></a>{id} |", File.ReadAllText(link.LocalPath));
    }

    [Fact]
    public void Ids_have_their_rows_in_the_docs_table_in_id_order()
    {
        var rows = Regex.Matches(File.ReadAllText(LanguageReference), @"^\| <a id=""(md\d{4})""></a>", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Descriptors.All.Select(d => d.Anchor), rows);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("docs/language.md", "")]
    [InlineData("https://example.org/language.md", "https://example.org/language.md#md0113")]
    public void Without_an_absolute_path_or_URI_there_is_no_invented_link(string property, string expected)
    {
        var d = RoslynDiagnostics.Descriptor(Descriptors.ReweightTooDeep, RoslynDiagnostics.DocumentUri(property));
        Assert.Equal(expected, d.HelpLinkUri);
    }
}
