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
        var at = result.Remainder;
        int position = at.Position, line = at.Line, column = at.Column;
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
        else end++;
        var token = text.Substring(position, end - position);
        var description = token switch
        {
            "\n" or "\r" => "end of line",
            " " => "a space",
            "\t" => "a tab",
            _ => "`" + token + "`",
        };
        return (description, end - position);
    }
}
