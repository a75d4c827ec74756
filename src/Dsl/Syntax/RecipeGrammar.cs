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

    private static Parser<(char Value, SourceSpan Span)> SpannedSymbol(char c) => Tok(Parse.Char(c).Named("`" + c + "`").Spanned());

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

    private static readonly Parser<string> NumberText =
        from sign in Parse.Char('-').Once().Text().Optional()
        from whole in Digits
        from fraction in (from dot in Parse.Char('.') from digits in Digits select "." + digits).Optional()
        from exponent in (from e in Parse.Chars('e', 'E')
                          from s in Parse.Chars('+', '-').Once().Text().Optional()
                          from digits in Digits
                          select "e" + s.GetOrElse("") + digits).Optional()
        select sign.GetOrElse("") + whole + fraction.GetOrElse("") + exponent.GetOrElse("");

    private static readonly Parser<ValueNode> RangeValue =
        Tok((from from_ in NumberText.Where(t => IsInteger(t))
             from dots in Parse.String("..")
             from to in NumberText.Where(t => IsInteger(t)).Named("an integer after `..`")
             select (from_, to)).Spanned())
        .Select(r => (ValueNode)new RangeNode(long.Parse(r.Value.from_, CultureInfo.InvariantCulture), long.Parse(r.Value.to, CultureInfo.InvariantCulture), r.Span));

    private static readonly Parser<ValueNode> NumberValue =
        Tok((from text in NumberText
             from percent in Parse.Char('%').Optional()
             select (text, percent.IsDefined)).Spanned())
        .Select(n => (ValueNode)new NumberNode(
            double.Parse(n.Value.text, NumberStyles.Float, CultureInfo.InvariantCulture),
            IsInteger(n.Value.text), n.Value.IsDefined, n.Value.text + (n.Value.IsDefined ? "%" : ""), n.Span));

    private static readonly Parser<ValueNode> StringValue =
        Tok((from open in Parse.Char('"')
             from chars in Parse.Char('\\').Then(_ => Parse.AnyChar).Or(Parse.CharExcept("\"\n")).Many().Text()
             from close in Parse.Char('"').Named("closing `\"`")
             select chars).Spanned())
        .Select(s => (ValueNode)new StringNode(s.Value, s.Span));

    private static readonly Parser<ValueNode> ListValue =
        from open in SpannedSymbol('[')
        from items in Parse.Ref(() => Value).XDelimitedBy(Symbol(',')).Optional()
        from close in SpannedSymbol(']')
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
            from args in Argument.XDelimitedBy(Symbol(',')).Optional()
            from close in SpannedSymbol(')')
            select (Args: args.GetOrElse(Enumerable.Empty<ArgumentNode>()).ToList(), close.Span)).Optional()
        select call.IsDefined
            ? new CallNode(name, call.Get().Args, name.Span.To(call.Get().Span))
            : (ValueNode)new NameNode(name, name.Span);

    internal static readonly Parser<ValueNode> Value =
        RangeValue.Or(NumberValue).Or(StringValue).Or(ListValue).Or(NameOrCall).Named("a value");

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
        from close in SpannedSymbol('}')
        select new VariantNode(name, assignments.ToList(), name.Span.To(close.Span));

    /// <summary>A section body; <c>variants</c> holds named variants, every other section holds settings.</summary>
    private static readonly Parser<object> Section =
        from name in Ident
        from open in Symbol('{')
        from body in name.Text == "variants"
            ? Variant.XMany().Select(v => (object)v.ToList())
            : Setting.XMany().Select(s => (object)s.ToList())
        from close in SpannedSymbol('}')
        select name.Text == "variants"
            ? new VariantsNode(name, (List<VariantNode>)body, name.Span.To(close.Span))
            : (object)new SectionNode(name, (List<SettingNode>)body, name.Span.To(close.Span));

    private static readonly Parser<RecipeNode> Recipe =
        from keyword in Keyword("recipe")
        from name in Ident
        from open in Symbol('{')
        from sections in Section.XMany()
        from close in SpannedSymbol('}')
        select new RecipeNode(name, sections.OfType<SectionNode>().ToList(), sections.OfType<VariantsNode>().ToList(), keyword.Span.To(close.Span));

    internal static readonly Parser<RecipeFileNode> File =
        (from leading in Trivia.Many()
         from recipes in Recipe.XMany()
         select new RecipeFileNode(recipes.ToList())).End();

    private static bool IsInteger(string text) =>
        text.IndexOf('.') < 0 && text.IndexOf('e') < 0 && text.IndexOf('E') < 0;
}
