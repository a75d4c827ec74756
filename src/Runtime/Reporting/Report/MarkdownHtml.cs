using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// The little Markdown MiDistill itself writes (results.md, analysis/summary.md) as HTML: pipe tables,
/// "- " lists, paragraphs and `code`. Not a general Markdown renderer; it never sees user text other
/// than names, which are escaped.
/// </summary>
internal static class MarkdownHtml
{
    public static string Render(string markdown)
    {
        var html = new StringBuilder();
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith('|'))
            {
                var rows = new List<string>();
                while (i < lines.Length && lines[i].StartsWith('|')) rows.Add(lines[i++]);
                i--;
                Table(rows, html);
            }
            else if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                html.Append("<ul>\n");
                while (i < lines.Length && lines[i].StartsWith("- ", StringComparison.Ordinal)) html.Append("<li>").Append(Inline(lines[i++][2..])).Append("</li>\n");
                i--;
                html.Append("</ul>\n");
            }
            else if (line.Trim().Length > 0)
                html.Append("<p>").Append(Inline(line)).Append("</p>\n");
        }
        return html.ToString();
    }

    private static void Table(List<string> rows, StringBuilder html)
    {
        static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
        bool hasRule = rows.Count > 1 && Cells(rows[1]).All(c => c.Length > 0 && c.All(ch => ch is '-' or ':'));
        var alignments = hasRule ? Cells(rows[1]).Select(c => c.EndsWith(':') ? "num" : "").ToArray() : Array.Empty<string>();
        html.Append("<table>\n");
        for (int r = 0; r < rows.Count; r++)
        {
            if (hasRule && r == 1) continue;
            var tag = hasRule && r == 0 ? "th" : "td";
            html.Append("<tr>");
            var cells = Cells(rows[r]);
            for (int c = 0; c < cells.Length; c++)
            {
                var cls = c < alignments.Length && alignments[c].Length > 0 ? $" class=\"{alignments[c]}\"" : "";
                html.Append('<').Append(tag).Append(cls).Append('>').Append(Inline(cells[c])).Append("</").Append(tag).Append('>');
            }
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>Escapes text and turns `code` spans into &lt;code&gt;.</summary>
    public static string Inline(string text)
    {
        var parts = text.Split('`');
        var html = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            var escaped = WebUtility.HtmlEncode(parts[i]);
            html.Append(i % 2 == 1 && i < parts.Length - 1 ? "<code>" + escaped + "</code>" : (i % 2 == 1 ? "`" + escaped : escaped));
        }
        return html.ToString();
    }
}
