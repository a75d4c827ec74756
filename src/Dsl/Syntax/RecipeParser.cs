using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using Sprache;

namespace MiDistill.Dsl.Syntax;

public sealed record ParseResult(RecipeFileNode? Tree, DslDiagnostic? Error);

/// <summary>Parses .distill text into a tree, or one syntax diagnostic at the furthest point reached.</summary>
public static class RecipeParser
{
    public static ParseResult Parse(string path, string text)
    {
        var input = new Input(text);
        var result = RecipeGrammar.File(input);
        if (result.WasSuccessful) return new ParseResult(result.Value, null);
        return new ParseResult(null, ToDiagnostic(path, text, result));
    }

    private static DslDiagnostic ToDiagnostic(string path, string text, IResult<RecipeFileNode> result)
    {
        if (result.Remainder is SyntaxFailure failure)
            return DslDiagnostic.Create(Descriptors.SyntaxError, path, failure.Span, failure.Message);
        var at = result.Remainder;
        int position = at.Position, line = at.Line, column = at.Column;
        // The grammar reads ASCII digits only, so a Unicode digit (`٣`, `１`) is where it stops.
        if (position < text.Length && char.IsDigit(text[position]) && !RecipeGrammar.IsAsciiDigit(text[position]))
            return DslDiagnostic.Create(Descriptors.SyntaxError, path, new SourceSpan(position, 1, line, column, line, column + 1),
                $"the digit `{text[position]}` is not an ASCII digit; write numbers with 0-9");
        // A bad escape fails after the backslash; point at the backslash and show the pair.
        if (position > 0 && position < text.Length && text[position - 1] == '\\' && text[position] != '\n')
        {
            position--;
            column--;
        }
        var (found, length) = DescribeFound(text, position);
        var expected = result.Expectations.Distinct().ToList();
        var expectedText = expected.Count switch
        {
            0 => "",
            1 => "; expected " + expected[0],
            _ => "; expected " + string.Join(", ", expected.Take(expected.Count - 1)) + " or " + expected.Last(),
        };
        var span = new SourceSpan(position, length, line, column, line, column + length);
        return DslDiagnostic.Create(Descriptors.SyntaxError, path, span, "unexpected " + found + expectedText);
    }

    private static (string Description, int Length) DescribeFound(string text, int position)
    {
        if (position >= text.Length) return ("end of file", 0);
        int end = position;
        if (text[end] == '\\' && end + 1 < text.Length && text[end + 1] != '\n') end += 2;
        else if (char.IsDigit(text[end]))
            while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '.' || text[end] == '_')) end++;
        else if (char.IsLetter(text[end]) || text[end] == '_')
            while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_')) end++;
        else if (char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1])) end += 2;
        else end++;
        var token = text.Substring(position, end - position);
        var description = token switch
        {
            "\n" or "\r" => "end of line",
            " " => "a space",
            "\t" => "a tab",
            // Messages are one line of plain text: name invisible and line-breaking characters by code point.
            _ when token.Length == 1 && IsInvisible(token[0]) => $"the character U+{(int)token[0]:X4}",
            _ when token.Length == 2 && token[0] == '\\' && IsInvisible(token[1]) => $"`\\` followed by the character U+{(int)token[1]:X4}",
            _ => "`" + token + "`",
        };
        // A span ends on its own line: at a line break it is empty (its end would otherwise be on the next line).
        return (description, token == "\n" ? 0 : end - position);
    }

    private static bool IsInvisible(char c) => char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
        or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.NonSpacingMark
        or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.SpaceSeparator
        or System.Globalization.UnicodeCategory.OtherNotAssigned or System.Globalization.UnicodeCategory.PrivateUse;
}
