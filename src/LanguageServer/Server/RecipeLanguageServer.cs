using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using MiDistill.Dsl.Ast;
using MiDistill.LanguageServer.Features;
using MiDistill.LanguageServer.Formatting;
using MiDistill.LanguageServer.Protocol;
using MiDistill.LanguageServer.Workspace;
using StreamJsonRpc;

namespace MiDistill.LanguageServer.Server;

/// <summary>
/// The LSP methods this server answers, as a StreamJsonRpc target. Documents are synced whole
/// (TextDocumentSyncKind.Full: recipes are a few kilobytes); diagnostics are published after a
/// pause in typing (<see cref="DebounceMilliseconds"/>), for the latest version only.
/// </summary>
internal sealed class RecipeLanguageServer
{
    private readonly ConcurrentDictionary<string, RecipeDocument> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecipeFileNode> _lastTrees = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pending = new(StringComparer.Ordinal);
    private readonly SchemaCache _schemas = new();
    private readonly ProjectRecipes _projectRecipes = new();
    private readonly SemaphoreSlim _analysis = new(1, 1);
    // Per project folder: the .cs files its [RecipeForm] declaration problems were last published on, with what was published.
    private readonly ConcurrentDictionary<string, Dictionary<string, string>> _declarations = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JsonRpc? _rpc;
    private bool _shutdown;

    /// <summary>The pause after a change before diagnostics are computed; <c>initializationOptions.debounceMilliseconds</c> sets it.</summary>
    public int DebounceMilliseconds { get; private set; } = 150;

    public Task Exited => _exited.Task;

    /// <summary>0 after `shutdown` then `exit`, 1 after `exit` alone (as the specification asks).</summary>
    public int ExitCode => _shutdown ? 0 : 1;

    public RecipeLanguageServer()
    {
        // A schema read again (a saved .cs file with a new form) changes what every open recipe of that project means.
        _schemas.Reread += directory =>
        {
            foreach (var document in _documents.Values.Where(d => ProjectSchema.ProjectDirectoryOf(d.Path) == directory))
                Schedule(document.Uri, 0);
        };
    }

    public void Attach(JsonRpc rpc) => _rpc = rpc;

    [JsonRpcMethod("initialize", UseSingleObjectParameterDeserialization = true)]
    public InitializeResult Initialize(JsonElement parameters)
    {
        if (parameters.TryGetProperty("initializationOptions", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("debounceMilliseconds", out var debounce) && debounce.TryGetInt32(out var ms))
            DebounceMilliseconds = Math.Max(0, ms);
        return new InitializeResult(
            new ServerCapabilities(
                new TextDocumentSyncOptions(true, TextDocumentSyncKind.Full, new SaveOptions(false)),
                new CompletionOptions(new[] { ".", "(", ",", "[", "\"" }),
                HoverProvider: true, DefinitionProvider: true, DocumentSymbolProvider: true, FoldingRangeProvider: true, DocumentFormattingProvider: true),
            new ServerInfo("midistill-lsp", typeof(RecipeLanguageServer).Assembly.GetName().Version?.ToString() ?? "0"));
    }

    [JsonRpcMethod("initialized", UseSingleObjectParameterDeserialization = true)]
    public void Initialized(JsonElement parameters) { }

    [JsonRpcMethod("shutdown")]
    public object? Shutdown()
    {
        _shutdown = true;
        return null;
    }

    [JsonRpcMethod("exit")]
    public void Exit() => _exited.TrySetResult();

    [JsonRpcMethod("textDocument/didOpen", UseSingleObjectParameterDeserialization = true)]
    public void DidOpen(DidOpenTextDocumentParams p)
    {
        if (IsCSharp(p.TextDocument.Uri))
        {
            ScheduleDeclarations(p.TextDocument.Uri);
            return;
        }
        Update(new RecipeDocument(p.TextDocument.Uri, RecipeDocument.PathOf(p.TextDocument.Uri), p.TextDocument.Text, p.TextDocument.Version));
        Schedule(p.TextDocument.Uri, 0);
    }

    [JsonRpcMethod("textDocument/didChange", UseSingleObjectParameterDeserialization = true)]
    public void DidChange(DidChangeTextDocumentParams p)
    {
        // Full sync: the last change holds the whole text.
        var text = p.ContentChanges.Count > 0 ? p.ContentChanges[^1].Text : null;
        if (text is null || IsCSharp(p.TextDocument.Uri)) return;
        Update(new RecipeDocument(p.TextDocument.Uri, RecipeDocument.PathOf(p.TextDocument.Uri), text, p.TextDocument.Version));
        Schedule(p.TextDocument.Uri, DebounceMilliseconds);
    }

    [JsonRpcMethod("textDocument/didSave", UseSingleObjectParameterDeserialization = true)]
    public void DidSave(DidSaveTextDocumentParams p)
    {
        if (IsCSharp(p.TextDocument.Uri)) ScheduleDeclarations(p.TextDocument.Uri);
        else Schedule(p.TextDocument.Uri, 0, recheckSchema: true);
    }

    [JsonRpcMethod("textDocument/didClose", UseSingleObjectParameterDeserialization = true)]
    public void DidClose(DidCloseTextDocumentParams p)
    {
        // A closed .cs file keeps its declaration problems: the build reports them whether it is open or not.
        if (IsCSharp(p.TextDocument.Uri)) return;
        _documents.TryRemove(p.TextDocument.Uri, out _);
        _lastTrees.TryRemove(p.TextDocument.Uri, out _);
        if (_pending.TryRemove(p.TextDocument.Uri, out var cts)) cts.Cancel();
        _ = Publish(new PublishDiagnosticsParams(p.TextDocument.Uri, null, Array.Empty<Diagnostic>()));
    }

    /// <summary>A client that watches the project's C# files (VS Code does) says when one changed: read the schema again now.</summary>
    [JsonRpcMethod("workspace/didChangeWatchedFiles", UseSingleObjectParameterDeserialization = true)]
    public void DidChangeWatchedFiles(JsonElement parameters)
    {
        foreach (var document in _documents.Values) Schedule(document.Uri, 0, recheckSchema: true);
    }

    [JsonRpcMethod("textDocument/completion", UseSingleObjectParameterDeserialization = true)]
    public CompletionList Completion(TextDocumentPositionParams p)
    {
        if (!_documents.TryGetValue(p.TextDocument.Uri, out var document)) return new CompletionList(false, Array.Empty<CompletionItem>());
        var project = _schemas.For(document.Path);
        var items = Features.Completion.At(document.Text, document.Tokens, document.Lines.OffsetOf(p.Position), project.Schema, LastTree(document));
        return new CompletionList(false, items);
    }

    [JsonRpcMethod("textDocument/hover", UseSingleObjectParameterDeserialization = true)]
    public Hover? Hover(TextDocumentPositionParams p) =>
        _documents.TryGetValue(p.TextDocument.Uri, out var document)
            ? Navigation.HoverAt(document, LastTree(document), _schemas.For(document.Path), document.Lines.OffsetOf(p.Position))
            : null;

    [JsonRpcMethod("textDocument/definition", UseSingleObjectParameterDeserialization = true)]
    public Location? Definition(TextDocumentPositionParams p) =>
        _documents.TryGetValue(p.TextDocument.Uri, out var document)
            ? Navigation.DefinitionAt(document, LastTree(document), _schemas.For(document.Path), document.Lines.OffsetOf(p.Position))
            : null;

    [JsonRpcMethod("textDocument/documentSymbol", UseSingleObjectParameterDeserialization = true)]
    public List<DocumentSymbol> DocumentSymbols(DocumentParams p) =>
        _documents.TryGetValue(p.TextDocument.Uri, out var document) ? Outline.Symbols(document) : new List<DocumentSymbol>();

    [JsonRpcMethod("textDocument/foldingRange", UseSingleObjectParameterDeserialization = true)]
    public List<FoldingRange> FoldingRanges(DocumentParams p) =>
        _documents.TryGetValue(p.TextDocument.Uri, out var document) ? Outline.Folding(document) : new List<FoldingRange>();

    [JsonRpcMethod("textDocument/formatting", UseSingleObjectParameterDeserialization = true)]
    public List<TextEdit> Formatting(DocumentFormattingParams p)
    {
        if (!_documents.TryGetValue(p.TextDocument.Uri, out var document)) return new List<TextEdit>();
        var formatted = RecipeFormatter.Format(document.Text);
        if (formatted is null || formatted == document.Text) return new List<TextEdit>();
        return new List<TextEdit> { new(document.Lines.RangeOf(0, document.Text.Length), formatted) };
    }

    private void Update(RecipeDocument document)
    {
        _documents[document.Uri] = document;
        if (document.Tree is not null) _lastTrees[document.Uri] = document.Tree;
    }

    private RecipeFileNode? LastTree(RecipeDocument document) =>
        document.Tree ?? (_lastTrees.TryGetValue(document.Uri, out var tree) ? tree : null);

    private void Schedule(string uri, int delay, bool recheckSchema = false)
    {
        var cts = new CancellationTokenSource();
        var previous = _pending.AddOrUpdate(uri, cts, (_, _) => cts);
        if (!ReferenceEquals(previous, cts)) previous.Cancel();
        _ = Task.Run(async () =>
        {
            try
            {
                if (delay > 0) await Task.Delay(delay, cts.Token).ConfigureAwait(false);
                await _analysis.WaitAsync(cts.Token).ConfigureAwait(false);
                try
                {
                    if (!_documents.TryGetValue(uri, out var document)) return;
                    var diagnostics = Diagnose(document, recheckSchema);
                    // A newer text was typed meanwhile: its own analysis publishes.
                    if (cts.IsCancellationRequested || !_documents.TryGetValue(uri, out var current) || current.Version != document.Version) return;
                    await Publish(new PublishDiagnosticsParams(uri, document.Version, diagnostics)).ConfigureAwait(false);
                    await PublishDeclarations(_schemas.For(document.Path)).ConfigureAwait(false);
                }
                finally
                {
                    _analysis.Release();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                await Log("analysing " + uri + ": " + e).ConfigureAwait(false);
            }
        });
    }

    /// <summary>The diagnostics the build reports for this text (change to publish: the benchmark times this).</summary>
    public List<Diagnostic> Diagnose(RecipeDocument document, bool recheckSchema = false)
    {
        var project = _schemas.For(document.Path, recheckSchema);
        var compiled = RecipeDiagnostics.Compile(document.Path, document.Text, project);
        var acrossFiles = _projectRecipes.Check(document.Path, compiled, project.Directory, OpenText);
        // Declaration problems of forms not declared in the project's sources have no place in a file (the build
        // reports them without one): each recipe of the project shows them at its start.
        var unplaced = project.DeclarationDiagnostics.Where(d => d.Path.Length == 0);
        return RecipeDiagnostics.ToProtocol(compiled.Diagnostics.Concat(acrossFiles).Concat(unplaced));
    }

    private static bool IsCSharp(string uri) => uri.EndsWith(".cs", StringComparison.OrdinalIgnoreCase);

    // A .cs file opened or saved in the editor: its project's declaration problems published again now.
    private void ScheduleDeclarations(string uri) => _ = Task.Run(async () =>
    {
        try
        {
            await _analysis.WaitAsync().ConfigureAwait(false);
            try
            {
                var path = RecipeDocument.PathOf(uri);
                await PublishDeclarations(_schemas.For(path, forceCheck: true), refresh: uri).ConfigureAwait(false);
            }
            finally
            {
                _analysis.Release();
            }
        }
        catch (Exception e)
        {
            await Log("reading the forms of " + uri + ": " + e).ConfigureAwait(false);
        }
    });

    /// <summary>
    /// The project's [RecipeForm] declaration problems (MD0901) on the .cs files that declare them, where
    /// the build reports them, with its id, range and text; a file whose problems are gone is cleared.
    /// Only what changed is sent (under <see cref="_analysis"/>, like every analysis), and the file
    /// <paramref name="refresh"/> (opened or saved in the editor) in any case, its empty list included.
    /// </summary>
    private async Task PublishDeclarations(ProjectSchema project, string? refresh = null)
    {
        var now = project.DeclarationDiagnostics.Where(d => d.Path.Length > 0)
            .GroupBy(d => RecipeDocument.UriOf(d.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => RecipeDiagnostics.ToProtocol(g), StringComparer.Ordinal);
        var before = _declarations.TryGetValue(project.Directory, out var previous) ? previous : new Dictionary<string, string>(StringComparer.Ordinal);
        var published = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (uri, diagnostics) in now)
        {
            var json = JsonSerializer.Serialize(diagnostics, ProtocolJson.Options);
            published[uri] = json;
            if (!before.TryGetValue(uri, out var sent) || sent != json || uri == refresh)
                await Publish(new PublishDiagnosticsParams(uri, null, diagnostics)).ConfigureAwait(false);
        }
        foreach (var uri in before.Keys.Append(refresh).OfType<string>().Distinct(StringComparer.Ordinal).Where(u => !now.ContainsKey(u)))
            await Publish(new PublishDiagnosticsParams(uri, null, Array.Empty<Diagnostic>())).ConfigureAwait(false);
        _declarations[project.Directory] = published;
    }

    private string? OpenText(string path) =>
        _documents.Values.FirstOrDefault(d => string.Equals(d.Path, path, StringComparison.Ordinal))?.Text;

    private Task Publish(PublishDiagnosticsParams p) =>
        _rpc is null ? Task.CompletedTask : _rpc.NotifyWithParameterObjectAsync("textDocument/publishDiagnostics", p);

    private Task Log(string message) =>
        _rpc is null ? Task.CompletedTask : _rpc.NotifyWithParameterObjectAsync("window/logMessage", new { type = 1, message });
}
