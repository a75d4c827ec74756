using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Syntax;
using MiDistill.LanguageServer.Analysis;

namespace MiDistill.LanguageServer.Formatting;

/// <summary>
/// The one layout of a recipe, like gofmt: the formatter owns indentation (two spaces per open
/// bracket), the spaces inside a line and blank lines (at most one in a row, none at the start of the file or of a block, none before a `}`); the
/// line breaks stay the author's, and so do two alignments authors make by hand: the spaces before a
/// trailing comment (while the code ends before its column) and between a one-line variant's name and
/// its `{` (shipped recipes line up their variants' braces, and some do not). It moves only whitespace
/// between tokens, so the compiled recipe cannot change (a test compiles every shipped recipe before
/// and after), and formatting its own output changes nothing. Text that does not parse is left as it is.
/// </summary>
public static class RecipeFormatter
{
    private const int Indent = 2;

    /// <summary>The formatted text, or null when the text does not parse (then nothing is changed).</summary>
    public static string? Format(string text)
    {
        if (RecipeParser.Parse("recipe.distill", text).Tree is null) return null;
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var tokens = RecipeTokens.Read(text);
        var lines = SplitLines(text, tokens);
        var aligned = VariantNamePadding(text, lines);

        var output = new StringBuilder();
        int depth = 0, blank = 0;
        bool first = true;
        foreach (var line in lines)
        {
            if (line.Tokens.Count == 0)
            {
                blank++;
                continue;
            }
            // No blank line opens or closes a block.
            bool afterOpener = output.Length > 0 && output.ToString().TrimEnd().EndsWith("{", StringComparison.Ordinal);
            if (!first && blank > 0 && !afterOpener && !IsCloser(line.Tokens[0])) output.Append(newline);
            blank = 0;
            first = false;

            int closersFirst = IsCloser(line.Tokens[0]) ? 1 : 0;
            var code = new StringBuilder(new string(' ', Math.Max(0, depth - closersFirst) * Indent));
            Token? previous = null;
            foreach (var token in line.Tokens)
            {
                if (token.Kind == TokenKind.Comment)
                {
                    if (previous is not null)
                    {
                        // A trailing comment keeps its column while the code ends before it (aligned comments stay aligned).
                        int column = token.Start - line.Start;
                        code.Append(' ', Math.Max(1, column - code.Length));
                    }
                    code.Append(token.Text.TrimEnd());
                    previous = token;
                    continue;
                }
                if (previous is { } p && SpaceBetween(p, token))
                    code.Append(' ', p.Kind == TokenKind.Name && token.Is('{') && aligned.TryGetValue(line.Index, out var padding) ? padding : 1);
                code.Append(token.Text);
                if (IsOpener(token)) depth++;
                else if (IsCloser(token)) depth = Math.Max(0, depth - 1);
                previous = token;
            }
            output.Append(code).Append(newline);
        }
        return output.ToString();
    }

    private sealed record Line(int Index, int Start, List<Token> Tokens);

    private static List<Line> SplitLines(string text, List<Token> tokens)
    {
        var lines = new List<Line>();
        int start = 0, index = 0, t = 0;
        while (start <= text.Length)
        {
            int end = text.IndexOf('\n', start);
            if (end < 0) end = text.Length;
            var onLine = new List<Token>();
            while (t < tokens.Count && tokens[t].Start < end + (end == text.Length ? 1 : 0)) onLine.Add(tokens[t++]);
            lines.Add(new Line(index++, start, onLine));
            if (end == text.Length) break;
            start = end + 1;
        }
        // The final newline is the file's end, not a blank line.
        while (lines.Count > 0 && lines[^1].Tokens.Count == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    // In a `variants` block, the spaces between a one-line variant's name and its `{`, as written.
    private static Dictionary<int, int> VariantNamePadding(string text, List<Line> lines)
    {
        var padding = new Dictionary<int, int>();
        int depth = 0, variantsDepth = -1;
        foreach (var line in lines)
        {
            var tokens = line.Tokens.Where(x => x.Kind != TokenKind.Comment).ToList();
            if (variantsDepth >= 0 && depth == variantsDepth + 1 && tokens.Count >= 3 && tokens[0].Kind == TokenKind.Name && tokens[1].Is('{')
                && ClosesOnLine(tokens, 1) && text.IndexOfAny(new[] { '\t', '\n' }, tokens[0].End, tokens[1].Start - tokens[0].End) < 0)
                padding[line.Index] = Math.Max(1, tokens[1].Start - tokens[0].End);
            for (int i = 0; i < tokens.Count; i++)
            {
                if (tokens[i].Is('{') && i > 0 && tokens[i - 1].Kind == TokenKind.Name && tokens[i - 1].Text == "variants" && variantsDepth < 0)
                    variantsDepth = depth;
                if (IsOpener(tokens[i])) depth++;
                else if (IsCloser(tokens[i]) && --depth == variantsDepth) variantsDepth = -1;
            }
        }
        return padding;
    }

    private static bool ClosesOnLine(List<Token> tokens, int open)
    {
        int depth = 0;
        for (int i = open; i < tokens.Count; i++)
        {
            if (IsOpener(tokens[i])) depth++;
            else if (IsCloser(tokens[i]) && --depth == 0) return true;
        }
        return false;
    }

    private static bool SpaceBetween(Token a, Token b)
    {
        if (b.Is(',') || b.Is(')') || b.Is(']') || b.Is(';') || b.Is(':') || b.Is('.')) return false;
        if (a.Is('(') || a.Is('[') || a.Is('.')) return false;
        if (a.Kind == TokenKind.Name && b.Is('(')) return false;
        return true;
    }

    private static bool IsOpener(Token t) => t.Is('{') || t.Is('(') || t.Is('[');
    private static bool IsCloser(Token t) => t.Is('}') || t.Is(')') || t.Is(']');
}
