using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// One self-contained HTML page: inline style, images as data: URIs, and a Content-Security-Policy
/// that forbids every request (no fonts, scripts or images from anywhere), so the page opens the same
/// from a mail attachment, a CI artifact or a machine without network.
/// </summary>
internal sealed class HtmlPage
{
    private const string Style = """
        body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #1b1f24; line-height: 1.4; padding: 0 1em; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.8em; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
        th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f3f5f7; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
        code { background: #f0f2f4; padding: 0 0.2em; } .muted { color: #57606a; }
        figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; } figure img { max-width: 470px; border: 1px solid #d0d7de; }
        figcaption { font-size: 0.85em; color: #57606a; }
        """;

    private readonly StringBuilder _body = new();
    private readonly string _title;

    public HtmlPage(string title) => _title = title;

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    public HtmlPage Heading(string text, int level = 2) { _body.Append($"<h{level}>").Append(Escape(text)).Append($"</h{level}>\n"); return this; }
    public HtmlPage Paragraph(string text, string? cssClass = null) { _body.Append(cssClass is null ? "<p>" : $"<p class=\"{cssClass}\">").Append(Escape(text)).Append("</p>\n"); return this; }
    public HtmlPage Raw(string html) { _body.Append(html); return this; }
    public HtmlPage Preformatted(string text) { _body.Append("<pre>").Append(Escape(text)).Append("</pre>\n"); return this; }

    /// <summary>A table; a column whose header is in <paramref name="numeric"/> is right-aligned.</summary>
    public HtmlPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, ISet<int>? numeric = null)
    {
        string Cls(int i) => numeric?.Contains(i) == true ? " class=\"num\"" : "";
        _body.Append("<table>\n<tr>");
        for (int i = 0; i < header.Count; i++) _body.Append($"<th{Cls(i)}>").Append(Escape(header[i])).Append("</th>");
        _body.Append("</tr>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            for (int i = 0; i < row.Count; i++) _body.Append($"<td{Cls(i)}>").Append(Escape(row[i])).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</table>\n");
        return this;
    }

    /// <summary>A PNG embedded as a data: URI, with a caption.</summary>
    public HtmlPage Image(byte[] png, string caption)
    {
        _body.Append("<figure><img alt=\"").Append(Escape(caption)).Append("\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(png)).Append("\"><figcaption>").Append(Escape(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    public string Render() => new StringBuilder()
        .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n")
        .Append("<meta name=\"generator\" content=\"MiDistill\">\n")
        .Append("<title>").Append(Escape(_title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
        .Append(_body)
        .Append("</body>\n</html>\n")
        .ToString();

    /// <summary>Writes through a temporary file, so a reader never sees half a page.</summary>
    public void Save(string path)
    {
        var temporary = path + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(temporary, Render(), new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}
