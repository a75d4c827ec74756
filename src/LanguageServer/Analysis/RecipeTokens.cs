using System.Collections.Generic;

namespace MiDistill.LanguageServer.Analysis;

public enum TokenKind
{
    Name,
    Number,
    String,
    Comment,
    /// <summary>One of <c>{ } ( ) [ ] , : ; = .</c></summary>
    Punctuation,
    /// <summary>A character the language has no use for; kept so nothing is lost.</summary>
    Other,
}

public readonly record struct Token(TokenKind Kind, int Start, int Length, string Text)
{
    public int End => Start + Length;
    public bool Is(char punctuation) => Kind == TokenKind.Punctuation && Text[0] == punctuation;
}

/// <summary>
/// A forgiving tokenizer for the editor: it never fails, so completion, hover, folding and formatting
/// work on text the parser rejects (the text being typed is broken most of the time). The compiler's
/// Sprache grammar stays the one judge of what is valid; this only finds the words.
/// </summary>
public static class RecipeTokens
{
    public static List<Token> Read(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            int start = i;
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n') i++;
                // A comment ends before a Windows line break's `\r`.
                int end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                tokens.Add(new Token(TokenKind.Comment, start, end - start, text.Substring(start, end - start)));
                continue;
            }
            if (c == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"' && text[i] != '\n')
                    i += text[i] == '\\' && i + 1 < text.Length && text[i + 1] != '\n' ? 2 : 1;
                if (i < text.Length && text[i] == '"') i++;
                tokens.Add(new Token(TokenKind.String, start, i - start, text.Substring(start, i - start)));
                continue;
            }
            if (IsDigit(c) || (c == '-' && i + 1 < text.Length && IsDigit(text[i + 1])))
            {
                i++;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.' || text[i] == '%' || text[i] == '_'
                    || ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E' || text[i - 1] == '.'))))
                    i++;
                tokens.Add(new Token(TokenKind.Number, start, i - start, text.Substring(start, i - start)));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, start, i - start, text.Substring(start, i - start)));
                continue;
            }
            i++;
            var kind = "{}()[],:;=.".IndexOf(c) >= 0 ? TokenKind.Punctuation : TokenKind.Other;
            tokens.Add(new Token(kind, start, 1, c.ToString()));
        }
        return tokens;
    }

    private static bool IsDigit(char c) => c >= '0' && c <= '9';
}
