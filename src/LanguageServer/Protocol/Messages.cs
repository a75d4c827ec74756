using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiDistill.LanguageServer.Protocol;

// The Language Server Protocol 3.17 types this server uses, and only those (no LSP library for .NET
// is served here). Names follow the specification; the serializer writes them camelCase and leaves
// out nulls, as the specification's optional properties expect.

public sealed record Position(int Line, int Character);

public sealed record Range(Position Start, Position End);

public sealed record Location(string Uri, Range Range);

public sealed record TextDocumentIdentifier(string Uri);

public sealed record TextDocumentItem(string Uri, string LanguageId, int Version, string Text);

public sealed record VersionedTextDocumentIdentifier(string Uri, int Version);

public sealed record TextDocumentContentChangeEvent(string Text, Range? Range = null);

public sealed record DidOpenTextDocumentParams(TextDocumentItem TextDocument);

public sealed record DidChangeTextDocumentParams(VersionedTextDocumentIdentifier TextDocument, IReadOnlyList<TextDocumentContentChangeEvent> ContentChanges);

public sealed record DidCloseTextDocumentParams(TextDocumentIdentifier TextDocument);

public sealed record DidSaveTextDocumentParams(TextDocumentIdentifier TextDocument, string? Text = null);

public sealed record TextDocumentPositionParams(TextDocumentIdentifier TextDocument, Position Position);

public sealed record DocumentParams(TextDocumentIdentifier TextDocument);

public sealed record InitializeParams(int? ProcessId, string? RootUri, JsonElement? InitializationOptions);

public sealed record InitializeResult(ServerCapabilities Capabilities, ServerInfo ServerInfo);

public sealed record ServerInfo(string Name, string Version);

public sealed record ServerCapabilities(
    TextDocumentSyncOptions TextDocumentSync,
    CompletionOptions CompletionProvider,
    bool HoverProvider,
    bool DefinitionProvider,
    bool DocumentSymbolProvider,
    bool FoldingRangeProvider,
    bool DocumentFormattingProvider);

public sealed record TextDocumentSyncOptions(bool OpenClose, int Change, SaveOptions Save);

public sealed record SaveOptions(bool IncludeText);

public sealed record CompletionOptions(IReadOnlyList<string> TriggerCharacters);

public static class TextDocumentSyncKind
{
    public const int Full = 1;
}

public sealed record Diagnostic(Range Range, int Severity, string Code, string Source, string Message)
{
    public CodeDescription? CodeDescription { get; init; }
}

public sealed record CodeDescription(string Href);

public static class DiagnosticSeverity
{
    public const int Error = 1;
    public const int Warning = 2;
}

public sealed record PublishDiagnosticsParams(string Uri, int? Version, IReadOnlyList<Diagnostic> Diagnostics);

public sealed record CompletionList(bool IsIncomplete, IReadOnlyList<CompletionItem> Items);

public sealed record CompletionItem(string Label, int Kind, string Detail)
{
    public MarkupContent? Documentation { get; init; }
    public string? InsertText { get; init; }
    /// <summary>1 = plain text, 2 = snippet (<c>${1:default}</c> placeholders).</summary>
    public int? InsertTextFormat { get; init; }
    public string? SortText { get; init; }
}

/// <summary>The completion item kinds this server uses (LSP's numbering).</summary>
public static class CompletionItemKind
{
    public const int Function = 3;
    public const int Field = 5;
    public const int Variable = 6;
    public const int Module = 9;
    public const int Property = 10;
    public const int Value = 12;
    public const int Keyword = 14;
    public const int Snippet = 15;
    public const int EnumMember = 20;
    public const int Constant = 21;
    public const int Struct = 22;
}

public sealed record MarkupContent(string Kind, string Value)
{
    public static MarkupContent Markdown(string value) => new("markdown", value);
}

public sealed record Hover(MarkupContent Contents, Range? Range);

public sealed record DocumentSymbol(string Name, string? Detail, int Kind, Range Range, Range SelectionRange, IReadOnlyList<DocumentSymbol> Children);

/// <summary>The symbol kinds this server uses (LSP's numbering).</summary>
public static class SymbolKind
{
    public const int Module = 2;
    public const int Namespace = 3;
    public const int Class = 5;
    public const int Property = 7;
    public const int Field = 8;
    public const int Array = 18;
    public const int Object = 19;
    public const int Struct = 23;
}

public sealed record FoldingRange(int StartLine, int EndLine, string? Kind);

public sealed record FormattingOptions(int TabSize, bool InsertSpaces);

public sealed record DocumentFormattingParams(TextDocumentIdentifier TextDocument, FormattingOptions Options);

public sealed record TextEdit(Range Range, string NewText);

/// <summary>Serializer settings shared by the server and its tests: camelCase, nulls left out.</summary>
public static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.PropertyNameCaseInsensitive = true;
        return options;
    }
}
