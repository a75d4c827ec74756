using System.Collections.Concurrent;
using MiDistill.Dsl.Diagnostics;
using Microsoft.CodeAnalysis;
using DiagnosticDescriptor = Microsoft.CodeAnalysis.DiagnosticDescriptor;
using Microsoft.CodeAnalysis.Text;

namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>The boundary where recipe diagnostics (1-based lines) become Roslyn diagnostics (0-based).</summary>
internal static class RoslynDiagnostics
{
    private static readonly ConcurrentDictionary<string, DiagnosticDescriptor> Cache = new();

    public static DiagnosticDescriptor Descriptor(Dsl.Diagnostics.DiagnosticDescriptor d) =>
        Cache.GetOrAdd(d.Id, _ => new DiagnosticDescriptor(
            d.Id, d.Title, "{0}", "MiDistill",
            d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Error ? Microsoft.CodeAnalysis.DiagnosticSeverity.Error : Microsoft.CodeAnalysis.DiagnosticSeverity.Warning,
            isEnabledByDefault: true, helpLinkUri: d.HelpLink));

    public static Diagnostic Create(DslDiagnostic d)
    {
        var span = d.Span;
        var location = Location.Create(d.Path,
            new TextSpan(span.Start, span.Length),
            new LinePositionSpan(new LinePosition(span.Line - 1, span.Column - 1), new LinePosition(span.EndLine - 1, span.EndColumn - 1)));
        return Diagnostic.Create(Descriptor(d.Descriptor), location, d.Message);
    }
}
