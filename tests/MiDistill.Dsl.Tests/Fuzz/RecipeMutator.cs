using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace MiDistill.Dsl.Tests.Fuzz;

/// <summary>One lexical token of a recipe, as the mutator sees it (a rough lexer: it only has to find
/// places worth mutating, not agree with the grammar on broken text).</summary>
public sealed record FuzzToken(FuzzTokenKind Kind, int Start, string Text)
{
    public int End => Start + Text.Length;
}

public enum FuzzTokenKind { Trivia, Name, Number, String, Punctuation }

/// <summary>
/// Grammar-aware mutations of recipe text: token deletions, duplications and swaps, truncation,
/// Unicode insertions, extreme numbers, deep nesting and names that clash once they are C# names.
/// Deterministic for a given <see cref="Random"/>, so a failing seed reproduces its mutant.
/// </summary>
public sealed class RecipeMutator
{
    private static readonly Regex Lexer = new(
        @"(?<t>\s+|(#|//)[^\n]*)|(?<s>""(\\.|[^""\\\n])*""?)|(?<n>-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?%?)|(?<i>[\p{L}_][\p{L}0-9_]*)|(?<p>\.\.|.)",
        RegexOptions.Singleline | RegexOptions.CultureInvariant);

    // Characters that once crashed or could crash a phase: non-ASCII digits (FormatException),
    // C# line breaks (CS1010 in literals and comments), marks, surrogates, NUL, BOM, bidi controls.
    private static readonly string[] Unicode =
    {
        "\u0663", "\uFF11\uFF12", "\u0967", "\u2028", "\u2029", "\u0085", "\r", "\r\n", "\u0301", "\u20DD",
        "\uD800", "\uDC00", "\uD83D\uDE00", "\0", "\uFEFF", "\u202E", "\u200B", "\t", "\u00A0", "\u3000",
        "\\", "\"", "\\u2028", "é", "ǅ", "\u0130", "\u00DF",
    };

    private static readonly string[] ExtremeNumbers =
    {
        "99999999999999999999", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "-9223372036854775809", "2147483647", "2147483648", "4294967296", "1e400", "-1e400", "1e-400",
        "1.7976931348623157e308", "4.9e-324", "-0", "-0.0", "0", "00000000000000000001", "NaN", "Infinity",
        "0..2000000000", "-9223372036854775808..9223372036854775807", "0..9999999999999999999", "9..0",
        "5..", "1e", "1.", "%", "1%%", "-", "0.5..1", "100000%", "1e308", "-1e308", "123456789012345678901234567890.5",
    };

    private static readonly string[] ReservedNames =
    {
        "settings", "Settings", "to_string", "equals", "get_type", "get_hash_code", "finalize", "memberwise_clone",
        "reference_equals", "RecipeSources", "recipe_sources", "_", "__", "_1", "1", "class", "default", "variants", "recipe",
    };

    private readonly Random _random;
    private readonly string[] _corpus;

    public RecipeMutator(Random random, IEnumerable<string> corpus)
    {
        _random = random;
        _corpus = corpus.ToArray();
    }

    public static List<FuzzToken> Tokenize(string text) =>
        Lexer.Matches(text).Cast<Match>().Select(m => new FuzzToken(
            m.Groups["t"].Success ? FuzzTokenKind.Trivia :
            m.Groups["s"].Success ? FuzzTokenKind.String :
            m.Groups["n"].Success ? FuzzTokenKind.Number :
            m.Groups["i"].Success ? FuzzTokenKind.Name : FuzzTokenKind.Punctuation,
            m.Index, m.Value)).ToList();

    /// <summary>A mutant of a random corpus recipe and the names of the mutations applied (for failure reports).</summary>
    public (string Text, string Mutations) Next()
    {
        var text = _corpus[_random.Next(_corpus.Length)];
        int count = 1 + _random.Next(3);
        var applied = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var (mutated, name) = MutateOnce(text);
            text = mutated;
            applied.Add(name);
        }
        return (text, string.Join(", ", applied));
    }

    private (string, string) MutateOnce(string text)
    {
        var tokens = Tokenize(text);
        var solid = tokens.Where(t => t.Kind != FuzzTokenKind.Trivia).ToList();
        if (solid.Count == 0) return (text + Pick(Unicode), "append");
        switch (_random.Next(16))
        {
            case 0:
            {
                var t = Pick(solid);
                return (Replace(text, t, ""), "delete token");
            }
            case 1:
            {
                int start = _random.Next(text.Length + 1), length = _random.Next(Math.Min(40, text.Length - start) + 1);
                return (text.Remove(start, length), "delete chars");
            }
            case 2:
                return (text.Substring(0, _random.Next(text.Length + 1)), "truncate");
            case 3:
            {
                var t = Pick(solid);
                return (text.Insert(t.End, " " + t.Text), "duplicate token");
            }
            case 4:
            {
                int i = _random.Next(solid.Count), j = Math.Min(solid.Count - 1, i + 1 + (_random.Next(3) == 0 ? _random.Next(solid.Count) : 0));
                return (Swap(text, solid[i], solid[j]), "swap tokens");
            }
            case 5:
            case 6:
                return (text.Insert(_random.Next(text.Length + 1), Pick(Unicode)), "insert unicode");
            case 7:
            {
                // Inside a string or comment, where line separators used to break the generated C#.
                var inside = tokens.Where(t => t.Kind == FuzzTokenKind.String || t.Text.StartsWith("#", StringComparison.Ordinal) || t.Text.StartsWith("//", StringComparison.Ordinal)).ToList();
                if (inside.Count == 0) return (text.Insert(_random.Next(text.Length + 1), "# " + Pick(Unicode) + "\n"), "insert comment");
                var t = Pick(inside);
                return (text.Insert(t.Start + 1 + _random.Next(Math.Max(1, t.Text.Length - 1)), Pick(Unicode)), "unicode in string or comment");
            }
            case 8:
            case 9:
            {
                var numbers = solid.Where(t => t.Kind == FuzzTokenKind.Number).ToList();
                if (numbers.Count == 0) return (text, "no number");
                return (Replace(text, Pick(numbers), Pick(ExtremeNumbers)), "extreme number");
            }
            case 10:
            {
                // Plausible numbers keep many mutants valid, so that the generated C# gets exercised.
                var numbers = solid.Where(t => t.Kind == FuzzTokenKind.Number).ToList();
                if (numbers.Count == 0) return (text, "no number");
                var t = Pick(numbers);
                var replacement = t.Text.Contains('.') || t.Text.Contains('e')
                    ? (_random.Next(1000) / 1000.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                    : _random.Next(0, 12).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (Replace(text, t, replacement), "plausible number");
            }
            case 11:
                return (Nest(text, solid), "deep nesting");
            case 12:
            case 13:
                return RenameBlock(text, tokens);
            case 14:
            {
                var strings = solid.Where(t => t.Kind == FuzzTokenKind.String).ToList();
                var replacement = "\"" + Pick(new[] { "a\\nb", "\\t\\\\", "C:\\\\data", "x\u2028y", "\u2029", "\u0085", "\\\"q\\\"", "" , "é\u0301", "\uD83D\uDE00" }) + "\"";
                if (strings.Count == 0) return (text, "no string");
                return (Replace(text, Pick(strings), replacement), "string value");
            }
            default:
            {
                // Another recipe appended, renamed so that its C# class may clash with the first.
                var names = RecipeNames(tokens);
                if (names.Count == 0) return (text, "no recipe");
                var other = Pick(_corpus);
                var otherTokens = Tokenize(other);
                var otherNames = RecipeNames(otherTokens);
                if (otherNames.Count == 0) return (text, "no recipe");
                var renamed = Replace(other, otherNames[0], Collide(Pick(names).Text));
                return (text + "\n" + renamed, "second recipe");
            }
        }
    }

    private string Nest(string text, List<FuzzToken> solid)
    {
        var values = solid.Where(t => t.Kind is FuzzTokenKind.Number or FuzzTokenKind.String).ToList();
        var at = values.Count > 0 ? Pick(values) : Pick(solid);
        int depth = Pick(new[] { 2, 63, 64, 65, 200, 3000 });
        bool call = _random.Next(2) == 0, closed = _random.Next(3) != 0;
        var open = call ? "f(a: " : "[";
        var close = call ? ")" : "]";
        var nested = Repeat(open, depth) + at.Text + (closed ? Repeat(close, depth) : "");
        return Replace(text, at, nested);
    }

    // Every bracket the grammar knows, each as an opening and its closing: a list or call as the first
    // item, a list or call after a comma (there Sprache's XMany parsed the failing item twice, so an
    // unclosed or broken nest of these took 2^depth parses), blocks, and stray brackets.
    private static readonly (string Open, string Close)[] Brackets =
    {
        ("[", "]"), ("[0, ", "]"), ("[x, ", "]"), ("f(a: ", ")"), ("f(a: 1, b: ", ")"), ("f(a: [", "])"),
        ("s { a ", " }"), ("v { a.b = ", " }"), ("{", "}"), ("(", ")"),
    };

    /// <summary>
    /// A mutant whose value (or any spot) is wrapped in brackets nested up to far past the limit: one
    /// kind or mixed kinds, left open, closed, closed around a typo at the bottom, or closed one short,
    /// before or after up to two of the other mutations.
    /// </summary>
    public (string Text, string Mutations) NextDeeplyNested()
    {
        var text = _corpus[_random.Next(_corpus.Length)];
        var applied = new List<string>();
        int before = _random.Next(3), after = _random.Next(2);
        for (int i = 0; i < before; i++)
        {
            var (mutated, name) = MutateOnce(text);
            text = mutated;
            applied.Add(name);
        }
        var (nested, nesting) = NestDeeply(text);
        text = nested;
        applied.Add(nesting);
        for (int i = 0; i < after; i++)
        {
            var (mutated, name) = MutateOnce(text);
            text = mutated;
            applied.Add(name);
        }
        return (text, string.Join(", ", applied));
    }

    private (string, string) NestDeeply(string text)
    {
        int depth = Pick(new[] { 2, 8, 12, 16, 20, 32, 63, 64, 65, 200, 3000 });
        bool mixed = _random.Next(3) == 0;
        var kind = Pick(Brackets);
        var mode = Pick(new[] { "open", "closed", "closed around a typo", "closed one short" });
        var open = new StringBuilder();
        var close = new StringBuilder();
        int outermostClose = 0;
        for (int i = 0; i < depth; i++)
        {
            var (o, c) = mixed ? Pick(Brackets) : kind;
            open.Append(o);
            close.Insert(0, c);
            if (i == 0) outermostClose = c.Length;
        }
        var solid = Tokenize(text).Where(t => t.Kind != FuzzTokenKind.Trivia).ToList();
        var values = solid.Where(t => t.Kind is FuzzTokenKind.Number or FuzzTokenKind.String).ToList();
        var at = values.Count > 0 && _random.Next(4) != 0 ? Pick(values) : null;
        var inner = at?.Text ?? "0";
        var nested = mode switch
        {
            "open" => open + inner,
            "closed" => open + inner + close,
            "closed around a typo" => open + inner + " x" + close,
            _ => open + inner + close.ToString().Substring(0, close.Length - outermostClose),
        };
        var where = at is null ? "at a random spot" : "around a value";
        var name = $"deep nesting ({depth} x {(mixed ? "mixed brackets" : "`" + kind.Open + "`")}, {mode}, {where})";
        return (at is null ? text.Insert(_random.Next(text.Length + 1), nested) : Replace(text, at, nested), name);
    }

    /// <summary>Renames a recipe or variant to a name that collides with another one once PascalCased, or to a reserved one.</summary>
    private (string, string) RenameBlock(string text, List<FuzzToken> tokens)
    {
        var blocks = BlockNames(tokens);
        if (blocks.Count == 0) return (text, "no block");
        var target = Pick(blocks);
        string name = _random.Next(3) == 0 ? Pick(ReservedNames) : Collide(Pick(blocks).Text);
        return (Replace(text, target, name), "rename to " + name);
    }

    /// <summary>A different spelling of <paramref name="name"/> that may derive the same C# name.</summary>
    private string Collide(string name)
    {
        switch (_random.Next(5))
        {
            case 0: return name.Length > 0 ? char.ToUpperInvariant(name[0]) + name.Substring(1) : "_";
            case 1: return name.Replace("_", "__");
            case 2: return name.Length > 1 ? name.Insert(1, "_") : name + "_";
            case 3: return name.ToUpperInvariant();
            default: return name + "_";
        }
    }

    // Names directly followed by `{`: recipes' names (after `recipe`), sections and variants.
    private static List<FuzzToken> BlockNames(List<FuzzToken> tokens)
    {
        var result = new List<FuzzToken>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Kind != FuzzTokenKind.Name) continue;
            int j = i + 1;
            while (j < tokens.Count && tokens[j].Kind == FuzzTokenKind.Trivia) j++;
            if (j < tokens.Count && tokens[j].Text == "{" && tokens[i].Text != "variants") result.Add(tokens[i]);
        }
        return result;
    }

    private static List<FuzzToken> RecipeNames(List<FuzzToken> tokens)
    {
        var solid = tokens.Where(t => t.Kind != FuzzTokenKind.Trivia).ToList();
        return solid.Where((t, i) => i > 0 && t.Kind == FuzzTokenKind.Name && solid[i - 1].Text == "recipe").ToList();
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    private static string Replace(string text, FuzzToken token, string replacement) =>
        text.Substring(0, token.Start) + replacement + text.Substring(token.End);

    private static string Swap(string text, FuzzToken a, FuzzToken b)
    {
        if (a.Start == b.Start) return text;
        if (a.Start > b.Start) (a, b) = (b, a);
        return text.Substring(0, a.Start) + b.Text + text.Substring(a.End, b.Start - a.End) + a.Text + text.Substring(b.End);
    }

    /// <summary>The text with every invisible or non-ASCII character escaped, so a failure report can be pasted back into a test.</summary>
    public static string Escape(string text, int max = 6000)
    {
        var sb = new StringBuilder();
        foreach (var c in text.Length > max ? text.Substring(0, max) : text)
        {
            if (c == '\n') sb.Append("\\n\n");
            else if (c == '\\') sb.Append("\\\\");
            else if (c < ' ' || c > '~') sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        if (text.Length > max) sb.Append($"... ({text.Length - max} more characters)");
        return sb.ToString();
    }
}
