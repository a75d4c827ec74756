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

    private static readonly Parser<string> LineComment =
        from start in Parse.String("//").Text().Or(Parse.String("#").Text())
        from body in Parse.AnyChar.Except(Parse.Char('\n')).Many().Text()
        select body;

    private static readonly Parser<string> Trivia =
        Parse.WhiteSpace.AtLeastOnce().Text().Or(LineComment);

    // Tokens own their trailing trivia, not their leading trivia: a token that fails must not have
    // consumed input, or XMany would report the failure instead of ending the list.
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

    private static readonly Parser<Identifier> Ident =
        Tok(
            (from first in Parse.Letter.Or(Parse.Char('_'))
             from rest in Parse.LetterOrDigit.Or(Parse.Char('_')).Many().Text()
             select first + rest).Spanned())
        .Select(t => new Identifier(t.Value, t.Span))
        .Named("a name");

    /// <summary>A name that must be exactly <paramref name="keyword"/>; Parse.String would accept a prefix of a longer name.</summary>
    private static Parser<Identifier> Keyword(string keyword) =>
        Ident.Where(id => id.Text == keyword).Named("`" + keyword + "`");

    private static readonly Parser<string> Digits = Parse.Digit.AtLeastOnce().Text();

    private static readonly Parser<string> IntegerText =
        from sign in Parse.Char('-').Once().Text().Optional()
        from whole in Parse.Digit.AtLeastOnce().Text().Named(sign.IsDefined ? "a digit after `-`" : "a digit")
        select sign.GetOrElse("") + whole;

    // XOptional: once `.` or `e` is read, what follows must complete the number, so `1.` and `1e`
    // are reported where the digits are missing instead of leaving a stray `.` for the next setting.
    // `5..9` is a range, not the fraction `5.`.
    private static readonly Parser<string> NumberText =
        from integer in IntegerText
        from fraction in (from notRange in Parse.String("..").Not()
                          from dot in Parse.Char('.')
                          from digits in Parse.Digit.AtLeastOnce().Text().Named("a digit after `.`")
                          select "." + digits).XOptional()
        from exponent in (from e in Parse.Chars('e', 'E')
                          from s in Parse.Chars('+', '-').Once().Text().Optional()
                          from digits in Parse.Digit.AtLeastOnce().Text().Named("the exponent's digits")
                          select "e" + s.GetOrElse("") + digits).XOptional()
        select integer + fraction.GetOrElse("") + exponent.GetOrElse("");

    private static readonly Parser<string?> RangeEnd =
        (from dots in Parse.String("..")
         from to in IntegerText.Named("an integer after `..`")
         select to).XOptional().Select(to => to.IsDefined ? to.Get() : null);

    /// <summary>A number (<c>5</c>, <c>-0.5</c>, <c>1e-3</c>, <c>20%</c>) or an integer range <c>5..9</c>.</summary>
    private static readonly Parser<ValueNode> NumberOrRange =
        Tok((from text in NumberText
             from to in IsInteger(text) ? RangeEnd : Parse.Return((string?)null)
             from percent in to is null ? Parse.Char('%').Optional().Select(p => p.IsDefined) : Parse.Return(false)
             select (text, to, percent)).Spanned())
        .Select(n => n.Value.to is not null
            ? new RangeNode(long.Parse(n.Value.text, CultureInfo.InvariantCulture), long.Parse(n.Value.to, CultureInfo.InvariantCulture), n.Span)
            : (ValueNode)new NumberNode(
                double.Parse(n.Value.text, NumberStyles.Float, CultureInfo.InvariantCulture),
                IsInteger(n.Value.text), n.Value.percent, n.Value.text + (n.Value.percent ? "%" : ""), n.Span));

    // Escapes: \" \\ \n \t. Any other backslash is an error rather than a silently dropped
    // character (a Windows path "C:\data" would otherwise read as "C:data").
    private static readonly Parser<char> Escape =
        from backslash in Parse.Char('\\')
        from c in Parse.Chars("\"\\nt").Named("an escape (`\\\"`, `\\\\`, `\\n` or `\\t`)")
        select c switch { 'n' => '\n', 't' => '\t', _ => c };

    private static readonly Parser<ValueNode> StringValue =
        Tok((from open in Parse.Char('"')
             from chars in Escape.Or(Parse.CharExcept("\"\\\n")).XMany().Text()
             from close in Parse.Char('"').Named("closing `\"`")
             select chars).Spanned())
        .Select(s => (ValueNode)new StringNode(s.Value, s.Span));

    private static readonly Parser<ValueNode> ListValue =
        from open in SpannedSymbol('[')
        from items in Parse.Ref(() => Value).XDelimitedBy(Symbol(',')).XOptional()
        from close in SpannedSymbol(']', items.IsDefined ? "`,` or `]`" : "a value or `]`")
        select (ValueNode)new ListNode(items.GetOrElse(Enumerable.Empty<ValueNode>()).ToList(), open.Span.To(close.Span));

    private static readonly Parser<ArgumentNode> Argument =
        from name in Ident
        from colon in Symbol(':')
        from value in Parse.Ref(() => Value)
        select new ArgumentNode(name, value, name.Span.To(value.Span));

    private static readonly Parser<ValueNode> NameOrCall =
        from name in Ident
        from call in (
            from open in Symbol('(')
            from args in Argument.XDelimitedBy(Symbol(',')).XOptional()
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
        from rest in (from dot in Tok(Parse.Char('.')) from part in Ident select part).XMany()
        from assign in Symbol('=')
        from value in Value
        from semicolon in Symbol(';').Optional()
        select new AssignmentNode(new[] { head }.Concat(rest).ToList(), value, head.Span.To(value.Span));

    private static readonly Parser<VariantNode> Variant =
        from name in Ident
        from open in Symbol('{')
        from assignments in Assignment.XMany()
        from close in SpannedSymbol('}', "an assignment `section.setting = value` or `}`")
        select new VariantNode(name, assignments.ToList(), name.Span.To(close.Span));

    /// <summary>A section body; <c>variants</c> holds named variants, every other section holds settings.</summary>
    private static readonly Parser<object> Section =
        from name in Ident
        from open in Symbol('{')
        from body in name.Text == "variants"
            ? Variant.XMany().Select(v => (object)v.ToList())
            : Setting.XMany().Select(s => (object)s.ToList())
        from close in SpannedSymbol('}', name.Text == "variants" ? "a variant or `}`" : "a setting or `}`")
        select name.Text == "variants"
            ? new VariantsNode(name, (List<VariantNode>)body, name.Span.To(close.Span))
            : (object)new SectionNode(name, (List<SettingNode>)body, name.Span.To(close.Span));

    private static readonly Parser<RecipeNode> Recipe =
        from keyword in Keyword("recipe")
        from name in Ident
        from open in Symbol('{')
        from sections in Section.XMany()
        from close in SpannedSymbol('}', "a section or `}`")
        select new RecipeNode(name, sections.OfType<SectionNode>().ToList(), sections.OfType<VariantsNode>().ToList(), keyword.Span.To(close.Span));

    // Sprache's End() says "expected end of input"; at the top level the useful word is `recipe`.
    private static readonly Parser<bool> EndOfFile = input =>
        input.AtEnd
            ? Result.Success(true, input)
            : Result.Failure<bool>(input, "unexpected text after the last recipe", new[] { "`recipe`", "end of file" });

    internal static readonly Parser<RecipeFileNode> File =
        (from leading in Trivia.Many()
         from recipes in Recipe.XMany()
         from end in EndOfFile
         select new RecipeFileNode(recipes.ToList()));

    private static bool IsInteger(string text) =>
        text.IndexOf('.') < 0 && text.IndexOf('e') < 0 && text.IndexOf('E') < 0;
}
