using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Syntax;
using MiDistill.Dsl.Generator.Pipeline;
using MiDistill.LanguageServer.Analysis;
using LspDiagnostic = MiDistill.LanguageServer.Protocol.Diagnostic;
using LspRange = MiDistill.LanguageServer.Protocol.Range;
using Position = MiDistill.LanguageServer.Protocol.Position;

namespace MiDistill.LanguageServer.Workspace;

/// <summary>One open recipe: its text, where it is, and what the front end made of it.</summary>
internal sealed class RecipeDocument
{
    public string Uri { get; }
    public string Path { get; }
    public string Text { get; }
    public int Version { get; }
    public LineMap Lines { get; }
    public List<Token> Tokens { get; }
    /// <summary>This text's tree, or null when it does not parse.</summary>
    public RecipeFileNode? Tree { get; }

    public RecipeDocument(string uri, string path, string text, int version)
    {
        Uri = uri;
        Path = path;
        Text = text;
        Version = version;
        Lines = new LineMap(text);
        Tokens = RecipeTokens.Read(text);
        Tree = RecipeParser.Parse(path, text).Tree;
    }

    public static string PathOf(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsFile ? parsed.LocalPath : uri;

    public static string UriOf(string path) => new System.Uri(System.IO.Path.GetFullPath(path)).AbsoluteUri;
}

/// <summary>The compiler's diagnostics for a recipe text, as the build reports them.</summary>
internal static class RecipeDiagnostics
{
    /// <summary>Compiles as the generator's Compile step does, a crash included (MD-generator failure, never silence).</summary>
    public static CompiledFile Compile(string path, string text, ProjectSchema project)
    {
        try
        {
            return RecipeCompiler.Compile(path, text, project.Schema, project.Directory);
        }
        catch (Exception e)
        {
            // The generator's words: a located compiler bug keeps its place and message, anything else is named.
            var located = e as RecipeCompilerException;
            var failure = located is not null && located.Span.End <= text.Length
                ? DslDiagnostic.Create(Descriptors.GeneratorFailure, path, located.Span, OneLine(located.Message))
                : DslDiagnostic.Create(Descriptors.GeneratorFailure, path, SourceSpan.None, e.GetType().Name + ": " + OneLine(e.Message));
            return new CompiledFile(path, EquatableArray<RecipeSpec>.Empty, EquatableArray<RecipeDeclaration>.Empty, new[] { failure }.ToEquatableArray());
        }
    }

    /// <summary>
    /// Each diagnostic as the build shows it: the Roslyn diagnostic the generator reports (so the message
    /// is Roslyn's formatting of the same arguments), at the same 0-based range, with the same id.
    /// </summary>
    public static List<LspDiagnostic> ToProtocol(IEnumerable<DslDiagnostic> diagnostics) =>
        diagnostics.Select(d =>
        {
            var roslyn = RoslynDiagnostics.Create(d, "");
            var span = d.Span;
            var range = new LspRange(new Position(span.Line - 1, span.Column - 1), new Position(span.EndLine - 1, span.EndColumn - 1));
            return new LspDiagnostic(range,
                d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Error ? Protocol.DiagnosticSeverity.Error : Protocol.DiagnosticSeverity.Warning,
                d.Id, "midistill", roslyn.GetMessage(CultureInfo.InvariantCulture));
        }).ToList();

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(new[] { '\r', '\n', '\u0085', '\u2028', '\u2029' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
}
