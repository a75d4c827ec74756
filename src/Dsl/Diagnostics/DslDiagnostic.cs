using System;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Diagnostics;

/// <summary>
/// A diagnostic as data: descriptor id, formatted message and where in which file. Equatable, so
/// it can travel through the incremental generator; the generator turns it into a Roslyn Diagnostic.
/// </summary>
public sealed record DslDiagnostic(DiagnosticDescriptor Descriptor, string Message, string Path, SourceSpan Span)
{
    public string Id => Descriptor.Id;
    public DiagnosticSeverity Severity => Descriptor.Severity;

    /// <summary>The message's arguments as invariant-culture text: the descriptor's format filled with them
    /// is <see cref="Message"/> in any culture, which is how the IDE gets the same text as the terminal.</summary>
    public EquatableArray<string> Arguments { get; init; } = EquatableArray<string>.Empty;

    public static DslDiagnostic Create(DiagnosticDescriptor descriptor, string path, SourceSpan span, params object[] args) =>
        new(descriptor, string.Format(CultureInfo.InvariantCulture, descriptor.MessageFormat, args), path, span)
        {
            Arguments = args.Select(a => string.Format(CultureInfo.InvariantCulture, "{0}", a)).ToEquatableArray(),
        };

    /// <summary>MSBuild's canonical form: <c>file(line,col): error MD0102: message</c>.</summary>
    public override string ToString() =>
        $"{Path}({Span.Line},{Span.Column}): {(Severity == DiagnosticSeverity.Error ? "error" : "warning")} {Id}: {Message}";
}
