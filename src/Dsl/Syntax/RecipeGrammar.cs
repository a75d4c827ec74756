using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Ast;
using Sprache;

namespace MiDistill.Dsl.Syntax;

/// <summary>
/// The Sprache grammar of .distill files. The grammar is deliberately generic (sections of
/// <c>name value</c> settings; values are numbers, strings, names, calls, lists and ranges):
/// which names exist and what they accept is the schema's business, so an unknown setting is a
/// semantic diagnostic with a suggestion rather than an opaque syntax error.
/// </summary>
internal static class RecipeGrammar
{
    // Sprache's Many() backtracks silently, so a broken item would be reported at the start of
    // the list; XMany()/XOr() commit once an item consumed input, which keeps errors at the real spot.
    // Sprache's own XMany() and XDelimitedBy() parse the item that ends a list twice, which doubles
    // the time with every level of nesting; the grammar uses SinglePass's versions, which do not.

    private static readonly Parser<string> LineComment =
        from start in Parse.String("//").Text().Or(Parse.String("#").Text())
        from body in Parse.AnyChar.Except(Parse.Char('\n')).Many().Text()
        select body;

    private static readonly Parser<string> Trivia =
        Parse.WhiteSpace.AtLeastOnce().Text().Or(LineComment);

    // Tokens own their trailing trivia, not their leading trivia: a token that fails must not have
    // consumed input, or XManySinglePass would report the failure instead of ending the list.
    private static Parser<T> Tok<T>(Parser<T> parser) =>
        from value in parser
        from trailing in Trivia.Many()
        select value;

    /// <summary>Captures the span a parser consumed (after leading trivia).</summary>
    private static Parser<(T Value, SourceSpan Span)> Spanned<T>(this Parser<T> parser) =>
        input =>
        {
            var result = parser(input);
            if (!result.WasSuccessful) return Result.Failure<(T, SourceSpan)>(result.Remainder, result.Message, result.Expectations);
            var end = result.Remainder;
            var span = new SourceSpan(input.Position, end.Position - input.Position, input.Line, input.Column, end.Line, end.Column);
            return Result.Success((result.Value, span), end);
        };

    private static Parser<char> Symbol(char c) => Tok(Parse.Char(c).Named("`" + c + "`"));

    /// <param name="expected">What the error says is expected here, e.g. "a setting or `}`" where a list may go on.</param>
    private static Parser<(char Value, SourceSpan Span)> SpannedSymbol(char c, string? expected = null) =>
        Tok(Parse.Char(c).Named(expected ?? "`" + c + "`").Spanned());

    /// <summary>The deepest lists and calls may nest. It bounds the parser's recursion (each level
    /// costs a few dozen stack frames) far below what a 1 MB thread can hold; no setting needs more than three.</summary>
    public const int MaxNesting = 64;

    // Lists and calls open so far on this thread's current parse (the grammar is static and shared).
    [ThreadStatic] private static int t_nesting;

    // Numbers are ASCII: Parse.Digit is char.IsDigit, which also takes `٣` and `１`, and number
    // conversion reads only 0-9. A Unicode digit therefore ends a token, and the parser's error
    // message names it (RecipeParser).
    private static readonly Parser<char> Digit = Parse.Char(IsAsciiDigit, "a digit");

    internal static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';

    private static readonly Parser<Identifier> Ident =
        Tok(
            (from first in Parse.Letter.Or(Parse.Char('_'))
             from rest in Parse.Char(c => char.IsLetter(c) || IsAsciiDigit(c) || c == '_', "a letter, digit or `_`").Many().Text()
             select first + rest).Spanned())
        .Select(t => new Identifier(t.Value, t.Span))
        .Named("a name");

    /// <summary>A name that must be exactly <paramref name="keyword"/>; Parse.String would accept a prefix of a longer name.</summary>
    private static Parser<Identifier> Keyword(string keyword) =>
        Ident.Where(id => id.Text == keyword).Named("`" + keyword + "`");

    private static readonly Parser<string> IntegerText =
        from sign in Parse.Char('-').Once().Text().Optional()
        from whole in Digit.AtLeastOnce().Text().Named(sign.IsDefined ? "a digit after `-`" : "a digit")
        select sign.GetOrElse("") + whole;

    // XOptional: once `.` or `e` is read, what follows must complete the number, so `1.` and `1e`
    // are reported where the digits are missing instead of leaving a stray `.` for the next setting.
    // `5..9` is a range, not the fraction `5.`.
    private static readonly Parser<string> NumberText =
        from integer in IntegerText
        from fraction in (from notRange in Parse.String("..").Not()
                          from dot in Parse.Char('.')
                          from digits in Digit.AtLeastOnce().Text().Named("a digit after `.`")
                          select "." + digits).XOptional()
        from exponent in (from e in Parse.Chars('e', 'E')
                          from s in Parse.Chars('+', '-').Once().Text().Optional()
                          from digits in Digit.AtLeastOnce().Text().Named("the exponent's digits")
                          select "e" + s.GetOrElse("") + digits).XOptional()
        select integer + fraction.GetOrElse("") + exponent.GetOrElse("");

    private static readonly Parser<(string Text, SourceSpan Span)?> RangeEnd =
        (from dots in Parse.String("..")
         from to in IntegerText.Named("an integer after `..`").Spanned()
         select to).XOptional().Select(to => to.IsDefined ? to.Get() : ((string, SourceSpan)?)null);

    /// <summary>A number (<c>5</c>, <c>-0.5</c>, <c>1e-3</c>, <c>20%</c>) or an integer range <c>5..9</c>.</summary>
    private static readonly Parser<ValueNode> NumberOrRange =
        Tok((from number in NumberText.Spanned()
             from to in IsInteger(number.Value) ? RangeEnd : Parse.Return<(string, SourceSpan)?>(null)
             from percent in to is null ? Parse.Char('%').Optional().Select(p => p.IsDefined) : Parse.Return(false)
             select (number, to, percent)).Spanned()
            .Then(n => ToNumber(n.Value.number, n.Value.to, n.Value.percent, n.Span)));

    // Checked here rather than in the binder because the tree holds numbers, not text: a bound that
    // does not fit a long, or a number that reads as infinity, has no value to bind.
    private static Parser<ValueNode> ToNumber((string Text, SourceSpan Span) number, (string Text, SourceSpan Span)? to, bool percent, SourceSpan span)
    {
        if (to is { } end)
        {
            foreach (var bound in new[] { number, end })
                if (!long.TryParse(bound.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    return SyntaxFailure.Fail<ValueNode>(bound.Span,
                        $"the range bound `{bound.Text}` is too {(bound.Text.StartsWith("-", StringComparison.Ordinal) ? "small" : "large")}; " +
                        $"range bounds are 64-bit integers, {long.MinValue}..{long.MaxValue}");
            return Parse.Return((ValueNode)new RangeNode(
                long.Parse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
                long.Parse(end.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), span));
        }
        double value = double.Parse(number.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
            return SyntaxFailure.Fail<ValueNode>(number.Span,
                $"the number `{number.Text}` is too large to represent; numbers lie within about -1.8e308..1.8e308");
        return Parse.Return((ValueNode)new NumberNode(value, IsInteger(number.Text), percent, number.Text + (percent ? "%" : ""), span));
    }

    // Escapes: \" \\ \n \t. Any other backslash is an error rather than a silently dropped
    // character (a Windows path "C:\data" would otherwise read as "C:data").
    private static readonly Parser<char> Escape =
        from backslash in Parse.Char('\\')
        from c in Parse.Chars("\"\\nt").Named("an escape (`\\\"`, `\\\\`, `\\n` or `\\t`)")
        select c switch { 'n' => '\n', 't' => '\t', _ => c };

    private static readonly Parser<ValueNode> StringValue =
        Tok((from open in Parse.Char('"')
             from chars in Escape.Or(Parse.CharExcept("\"\\\n")).XManySinglePass().Text()
             from close in Parse.Char('"').Named("closing `\"`")
             select chars).Spanned())
        .Select(s => (ValueNode)new StringNode(s.Value, s.Span));

    private static readonly Parser<ValueNode> ListValue = Nested('[',
        from open in SpannedSymbol('[')
        from items in Parse.Ref(() => Value).XDelimitedBySinglePass(Symbol(',')).XOptional()
        from close in SpannedSymbol(']', items.IsDefined ? "`,` or `]`" : "a value or `]`")
        select (ValueNode)new ListNode(items.GetOrElse(Enumerable.Empty<ValueNode>()).ToList(), open.Span.To(close.Span)));

    private static readonly Parser<ArgumentNode> Argument =
        from name in Ident
        from colon in Symbol(':')
        from value in Parse.Ref(() => Value)
        select new ArgumentNode(name, value, name.Span.To(value.Span));

    private static readonly Parser<ValueNode> NameOrCall =
        from name in Ident
        from call in Nested('(',
            from open in Symbol('(')
            from args in Argument.XDelimitedBySinglePass(Symbol(',')).XOptional()
            from close in SpannedSymbol(')', args.IsDefined ? "`,` or `)`" : "an argument `name: value` or `)`")
            select (Args: args.GetOrElse(Enumerable.Empty<ArgumentNode>()).ToList(), close.Span)).XOptional()
        select call.IsDefined
            ? new CallNode(name, call.Get().Args, name.Span.To(call.Get().Span))
            : (ValueNode)new NameNode(name, name.Span);

    internal static readonly Parser<ValueNode> Value =
        NumberOrRange.Or(StringValue).Or(ListValue).Or(NameOrCall).Named("a value");

    private static readonly Parser<SettingNode> Setting =
        from name in Ident
        from value in Value
        from semicolon in Symbol(';').Optional()
        select new SettingNode(name, value, name.Span.To(value.Span));

    private static readonly Parser<AssignmentNode> Assignment =
        from head in Ident
        from rest in (from dot in Tok(Parse.Char('.')) from part in Ident select part).XManySinglePass()
        from assign in Symbol('=')
        from value in Value
        from semicolon in Symbol(';').Optional()
        select new AssignmentNode(new[] { head }.Concat(rest).ToList(), value, head.Span.To(value.Span));

    private static readonly Parser<VariantNode> Variant =
        from name in Ident
        from open in Symbol('{')
        from assignments in Assignment.XManySinglePass()
        from close in SpannedSymbol('}', "an assignment `section.setting = value` or `}`")
        select new VariantNode(name, assignments.ToList(), name.Span.To(close.Span));

    // `path value`: an axis `finetune.objective.rho [0.05, 0.1]` or an option `limit 64`.
    private static readonly Parser<SweepEntryNode> SweepEntry =
        from head in Ident
        from rest in (from dot in Tok(Parse.Char('.')) from part in Ident select part).XManySinglePass()
        from value in Value
        from semicolon in Symbol(';').Optional()
        select new SweepEntryNode(new[] { head }.Concat(rest).ToList(), value, head.Span.To(value.Span));

    /// <summary>A section body; <c>variants</c> holds named variants, <c>sweep</c> grids, every other section holds settings.</summary>
    private static readonly Parser<object> Section =
        from name in Ident
        from open in Symbol('{')
        from body in name.Text == "variants"
            ? Variant.XManySinglePass().Select(v => (object)v.ToList())
            : name.Text == "sweep"
                ? SweepEntry.XManySinglePass().Select(e => (object)e.ToList())
                : Setting.XManySinglePass().Select(s => (object)s.ToList())
        from close in SpannedSymbol('}', name.Text == "variants" ? "a variant or `}`" : name.Text == "sweep" ? "a grid `section.setting [values]` or `}`" : "a setting or `}`")
        select name.Text == "variants"
            ? new VariantsNode(name, (List<VariantNode>)body, name.Span.To(close.Span))
            : name.Text == "sweep"
                ? new SweepNode(name, (List<SweepEntryNode>)body, name.Span.To(close.Span))
                : (object)new SectionNode(name, (List<SettingNode>)body, name.Span.To(close.Span));

    private static readonly Parser<RecipeNode> Recipe =
        from keyword in Keyword("recipe")
        from name in Ident
        from open in Symbol('{')
        from sections in Section.XManySinglePass()
        from close in SpannedSymbol('}', "a section or `}`")
        select new RecipeNode(name, sections.OfType<SectionNode>().ToList(), sections.OfType<VariantsNode>().ToList(), keyword.Span.To(close.Span))
        {
            Sweeps = sections.OfType<SweepNode>().ToList(),
        };

    // Sprache's End() says "expected end of input"; at the top level the useful word is `recipe`.
    private static readonly Parser<bool> EndOfFile = input =>
        input.AtEnd
            ? Result.Success(true, input)
            : Result.Failure<bool>(input, "unexpected text after the last recipe", new[] { "`recipe`", "end of file" });

    internal static readonly Parser<RecipeFileNode> File =
        (from leading in Trivia.Many()
         from recipes in Recipe.XManySinglePass()
         from end in EndOfFile
         select new RecipeFileNode(recipes.ToList()));

    /// <summary>Runs <paramref name="parser"/> one nesting level deeper; at <see cref="MaxNesting"/>, an
    /// <paramref name="open"/> bracket is an error at that bracket instead of another level of recursion.</summary>
    private static Parser<T> Nested<T>(char open, Parser<T> parser) => input =>
    {
        if (t_nesting >= MaxNesting && !input.AtEnd && input.Current == open)
        {
            var span = new SourceSpan(input.Position, 1, input.Line, input.Column, input.Line, input.Column + 1);
            return SyntaxFailure.Fail<T>(span,
                $"`{open}` nests lists and calls {MaxNesting + 1} levels deep, past the limit of {MaxNesting}; close some of the open brackets first")(input.Advance());
        }
        t_nesting++;
        try { return parser(input); }
        finally { t_nesting--; }
    };

    private static bool IsInteger(string text) =>
        text.IndexOf('.') < 0 && text.IndexOf('e') < 0 && text.IndexOf('E') < 0;
}
