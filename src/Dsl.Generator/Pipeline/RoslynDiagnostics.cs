using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using Microsoft.CodeAnalysis;
using DiagnosticDescriptor = Microsoft.CodeAnalysis.DiagnosticDescriptor;
using Microsoft.CodeAnalysis.Text;

namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>The boundary where recipe diagnostics (1-based lines) become Roslyn diagnostics (0-based).</summary>
internal static class RoslynDiagnostics
{
    /// <summary>The MSBuild property naming the language reference help links open (set by MiDistill.props).</summary>
    public const string LanguageReferenceProperty = "MiDistillLanguageReference";

    private static readonly ConcurrentDictionary<(string Id, string Document), DiagnosticDescriptor> Cache = new();

    /// <summary>
    /// The language reference as a URI: an absolute path becomes a file URI (the package's own copy of
    /// docs/language.md by default), a URI stays as it is; anything else gives no help link.
    /// </summary>
    public static string DocumentUri(string value) =>
        value.Length > 0 && Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri.AbsoluteUri : "";

    /// <param name="documentUri">From <see cref="DocumentUri"/>; the help link opens the id's row of its diagnostics table.</param>
    public static DiagnosticDescriptor Descriptor(Dsl.Diagnostics.DiagnosticDescriptor d, string documentUri) =>
        Cache.GetOrAdd((d.Id, documentUri), key => new DiagnosticDescriptor(
            d.Id, d.Title, RoslynFormat(d.MessageFormat), "MiDistill." + d.Category,
            d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Error ? Microsoft.CodeAnalysis.DiagnosticSeverity.Error : Microsoft.CodeAnalysis.DiagnosticSeverity.Warning,
            isEnabledByDefault: true, description: d.Description, helpLinkUri: d.HelpLink(key.Document)));

    public static Diagnostic Create(DslDiagnostic d, string documentUri)
    {
        var span = d.Span;
        var location = Location.Create(d.Path,
            new TextSpan(span.Start, span.Length),
            new LinePositionSpan(new LinePosition(span.Line - 1, span.Column - 1), new LinePosition(span.EndLine - 1, span.EndColumn - 1)));
        return Diagnostic.Create(Descriptor(d.Descriptor, documentUri), location, d.Arguments.Cast<object>().ToArray());
    }

    /// <summary>A diagnostic from outside the recipe compiler (form declarations, emission), with its arguments.</summary>
    public static Diagnostic Create(Dsl.Diagnostics.DiagnosticDescriptor d, Location location, string documentUri, params string[] arguments) =>
        Diagnostic.Create(Descriptor(d, documentUri), location, arguments.Cast<object>().ToArray());

    // Roslyn formats a message only when it has arguments and otherwise shows the format as it is, so a
    // format without placeholders must be its own text ("{{" already unescaped) to read the same.
    private static string RoslynFormat(string format) =>
        HasPlaceholder(format) ? format : string.Format(CultureInfo.InvariantCulture, format);

    private static bool HasPlaceholder(string format)
    {
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '{') continue;
            if (i + 1 < format.Length && format[i + 1] == '{') { i++; continue; }
            return true;
        }
        return false;
    }
}
