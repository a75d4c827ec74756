using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Syntax;
using MiDistill.LanguageServer.Analysis;
using MiDistill.LanguageServer.Protocol;
using MiDistill.LanguageServer.Workspace;

namespace MiDistill.LanguageServer.Features;

/// <summary>Document symbols (recipes, sections, settings, variants, sweep) and folding ranges.</summary>
internal static class Outline
{
    public static List<DocumentSymbol> Symbols(RecipeDocument document)
    {
        if (document.Tree is null) return new List<DocumentSymbol>();
        var lines = document.Lines;
        Range R(SourceSpan s) => lines.RangeOf(s.Start, s.Length);
        var symbols = new List<DocumentSymbol>();
        foreach (var recipe in document.Tree.Recipes)
        {
            var children = new List<DocumentSymbol>();
            foreach (var section in recipe.Sections)
                children.Add(new DocumentSymbol(section.Name.Text, "section", SymbolKind.Module, R(section.Span), R(section.Name.Span),
                    section.Settings.Select(s => new DocumentSymbol(s.Name.Text, Text(document, s.Value.Span), SymbolKind.Property, R(s.Span), R(s.Name.Span), new List<DocumentSymbol>())).ToList()));
            foreach (var block in recipe.VariantBlocks)
                children.Add(new DocumentSymbol(block.Keyword.Text, null, SymbolKind.Namespace, R(block.Span), R(block.Keyword.Span),
                    block.Variants.Select(v => new DocumentSymbol(v.Name.Text, "variant", SymbolKind.Object, R(v.Span), R(v.Name.Span),
                        v.Assignments.Select(a => new DocumentSymbol(a.PathText, Text(document, a.Value.Span), SymbolKind.Field, R(a.Span), R(a.Path[0].Span.To(a.Path[^1].Span)), new List<DocumentSymbol>())).ToList())).ToList()));
            foreach (var sweep in recipe.Sweeps)
                children.Add(new DocumentSymbol(sweep.Keyword.Text, null, SymbolKind.Array, R(sweep.Span), R(sweep.Keyword.Span),
                    sweep.Entries.Select(e => new DocumentSymbol(e.PathText, Text(document, e.Value.Span), SymbolKind.Field, R(e.Span), R(e.Path[0].Span.To(e.Path[^1].Span)), new List<DocumentSymbol>())).ToList()));
            symbols.Add(new DocumentSymbol(recipe.Name.Text, "recipe", SymbolKind.Class, R(recipe.Span), R(recipe.Name.Span), children));
        }
        return symbols;
    }

    private static string Text(RecipeDocument document, SourceSpan span) =>
        document.Text.Substring(span.Start, span.Length).Trim();

    /// <summary>Every bracket pair over several lines, and each run of two or more comment lines; from tokens, so broken text folds too.</summary>
    public static List<FoldingRange> Folding(RecipeDocument document)
    {
        var ranges = new List<FoldingRange>();
        var open = new Stack<int>();
        int commentStart = -1, commentEnd = -1;
        foreach (var token in document.Tokens)
        {
            int line = document.Lines.PositionOf(token.Start).Line;
            if (token.Kind == TokenKind.Comment && document.Lines.PositionOf(token.Start).Character == FirstColumn(document, line))
            {
                if (commentStart >= 0 && line == commentEnd + 1) commentEnd = line;
                else { Flush(); commentStart = commentEnd = line; }
                continue;
            }
            if (token.Is('{') || token.Is('[') || token.Is('(')) open.Push(line);
            else if ((token.Is('}') || token.Is(']') || token.Is(')')) && open.Count > 0)
            {
                int start = open.Pop();
                // The closing line stays visible, as editors expect.
                if (line - 1 > start) ranges.Add(new FoldingRange(start, line - 1, null));
            }
        }
        Flush();
        return ranges.OrderBy(r => r.StartLine).ToList();

        void Flush()
        {
            if (commentStart >= 0 && commentEnd > commentStart) ranges.Add(new FoldingRange(commentStart, commentEnd, "comment"));
            commentStart = commentEnd = -1;
        }
    }

    private static int FirstColumn(RecipeDocument document, int line)
    {
        int start = document.Lines.OffsetOf(new Position(line, 0)), i = start;
        while (i < document.Text.Length && (document.Text[i] == ' ' || document.Text[i] == '\t')) i++;
        return i - start;
    }
}
