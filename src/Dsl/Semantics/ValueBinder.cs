using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;
using Sprache;

namespace MiDistill.Dsl.Semantics;

/// <summary>Checks one written value against its schema type and turns it into a bound value.</summary>
internal sealed class ValueBinder
{
    private readonly string _path;
    private readonly List<DslDiagnostic> _diagnostics;

    public ValueBinder(string path, List<DslDiagnostic> diagnostics)
    {
        _path = path;
        _diagnostics = diagnostics;
    }

    /// <summary>Binds a value; null (with a diagnostic reported) when it does not fit.</summary>
    /// <param name="label">The setting's dotted name for messages, e.g. <c>finetune.objective.rho</c>.</param>
    public BoundValue? Bind(ValueNode node, SettingType type, string label)
    {
        switch (type)
        {
            case IntType t:
                if (node is not NumberNode { IsInteger: true, IsPercent: false } i) return WrongType(label, type, node);
                if (i.Value < t.Min || i.Value > t.Max) return OutOfRange(label, i.Text, t.DescribeRange(), node.Span);
                return new BoundScalar(new IntValue((long)i.Value), node.Span);

            case FloatType t:
                if (node is not NumberNode { IsPercent: false } f) return WrongType(label, type, node);
                if (!t.Contains(f.Value)) return OutOfRange(label, f.Text, t.DescribeRange(), node.Span);
                return new BoundScalar(new FloatValue(f.Value), node.Span);

            case FractionType t:
                if (node is not NumberNode n) return WrongType(label, type, node);
                double fraction = n.IsPercent ? n.Value / 100.0 : n.Value;
                if (fraction < 0 || fraction > t.Max) return OutOfRange(label, n.Text, t.DescribeRange(), node.Span);
                return new BoundScalar(new FloatValue(fraction), node.Span);

            case BoolType:
                if (node is NameNode { Name.Text: "true" }) return new BoundScalar(new BoolValue(true), node.Span);
                if (node is NameNode { Name.Text: "false" }) return new BoundScalar(new BoolValue(false), node.Span);
                return WrongType(label, type, node);

            case StringType:
                if (node is not StringNode s) return WrongType(label, type, node);
                return new BoundScalar(new StringValue(s.Value), node.Span);

            case ClassListType t:
                return BindClasses(node, t, label);

            case NameListType t:
                return BindNames(node, t, label);

            case IntListType t:
                return BindIntegers(node, t, label);

            case ChoiceType t:
                return BindChoice(node, t, label);

            case NumberListType t:
                return BindNumbers(node, t, label);

            case FormListType t:
                return BindFormList(node, t, label);

            default:
                throw new RecipeCompilerException(node.Span, "unhandled setting type " + type.GetType().Name);
        }
    }

    /// <summary>Binds a schema default (written in recipe syntax) as if the user had written it at <paramref name="at"/>.</summary>
    public BoundValue BindDefault(string text, SettingType type, string label, SourceSpan at)
    {
        var bound = TryBindDefault(_path, text, type, label, at, out var why);
        if (bound is null) throw new RecipeCompilerException(at, $"schema default `{text}` of {label} is invalid: {why}");
        return bound with { FromDefault = true };
    }

    /// <summary>Why a declared default (recipe text) does not fit its type, or null when it does.</summary>
    public static string? CheckDefault(string text, SettingType type, string label) =>
        TryBindDefault("", text, type, label, SourceSpan.None, out var why) is null ? why : null;

    // Defaults are recipe text: parsed and bound like user text, placed at the setting they stand in for.
    private static BoundValue? TryBindDefault(string path, string text, SettingType type, string label, SourceSpan at, out string why)
    {
        why = "";
        var parsed = RecipeGrammar.Value.End().TryParse(text);
        if (!parsed.WasSuccessful)
        {
            why = "it does not parse as a recipe value";
            return null;
        }
        var scratch = new List<DslDiagnostic>();
        var bound = new ValueBinder(path, scratch).Bind(Relocate(parsed.Value, at), type, label);
        if (bound is not null && scratch.Count == 0) return bound;
        why = scratch.Count > 0 ? string.Join("; ", scratch.Select(d => d.Message)) : "it does not fit";
        return null;
    }

    private BoundValue? BindChoice(ValueNode node, ChoiceType type, string label)
    {
        Identifier name;
        IReadOnlyList<ArgumentNode> written;
        switch (node)
        {
            case NameNode n: name = n.Name; written = Array.Empty<ArgumentNode>(); break;
            case CallNode c: name = c.Name; written = c.Arguments; break;
            default: return WrongType(label, type, node);
        }

        var form = type.Find(name.Text);
        if (form is null)
        {
            var names = type.Forms.Select(f => f.Name).ToList();
            Report(Descriptors.UnknownForm, name.Span, name.Text, label, Suggestions.DidYouMean(name.Text, names), Suggestions.List(names));
            return null;
        }

        var args = new Dictionary<string, BoundValue>();
        var seen = new Dictionary<string, SourceSpan>();
        bool ok = true;
        foreach (var arg in written)
        {
            var schemaArg = form.Find(arg.Name.Text);
            if (schemaArg is null)
            {
                var names = form.Arguments.Select(a => a.Name).ToList();
                Report(Descriptors.UnknownArgument, arg.Name.Span, form.Name, arg.Name.Text,
                    Suggestions.DidYouMean(arg.Name.Text, names), names.Count == 0 ? "none" : Suggestions.List(names));
                ok = false;
                continue;
            }
            if (seen.TryGetValue(arg.Name.Text, out var first))
            {
                Report(Descriptors.DuplicateSetting, arg.Name.Span, label + "." + arg.Name.Text, first.Line);
                ok = false;
                continue;
            }
            seen[arg.Name.Text] = arg.Name.Span;
            var value = Bind(arg.Value, schemaArg.Type, label + "." + schemaArg.Name);
            if (value is null) ok = false; else args[schemaArg.Name] = value;
        }

        foreach (var schemaArg in form.Arguments)
        {
            if (seen.ContainsKey(schemaArg.Name)) continue;
            if (schemaArg.Default is not null)
                args[schemaArg.Name] = BindDefault(schemaArg.Default, schemaArg.Type, label + "." + schemaArg.Name, node.Span);
            else if (schemaArg.Required)
            {
                Report(Descriptors.MissingRequired, node.Span, $"argument `{schemaArg.Name}` of `{form.Name}`",
                    $"{schemaArg.Doc}; write `{form.Name}({schemaArg.Name}: ...)`");
                ok = false;
            }
        }
        return ok ? new BoundForm(form, args, node.Span) : null;
    }

    private BoundValue? BindClasses(ValueNode node, ClassListType type, string label)
    {
        var values = new List<(long Value, SourceSpan Span)>();
        switch (node)
        {
            case RangeNode r:
                if (r.From > r.To)
                {
                    Report(Descriptors.BadClassList, node.Span, $"`{label}` = {r.From}..{r.To} is an empty class range; write the smaller class first, e.g. `{r.To}..{r.From}`");
                    return null;
                }
                // Bounds before items: `0..2000000000` must not allocate two billion classes to find that one is too large.
                if (r.From < type.Min || r.To > type.Max)
                {
                    long first = r.From < type.Min ? r.From : Math.Max(r.From, type.Max + 1L);
                    Report(Descriptors.BadClassList, node.Span, $"class {first} in `{label}` is out of range; classes are numbered {type.Min}..{type.Max}");
                    return null;
                }
                for (long c = r.From; c <= r.To; c++) values.Add((c, node.Span));
                break;
            case ListNode l:
                if (l.Items.Count == 0)
                {
                    Report(Descriptors.BadClassList, node.Span, $"`{label}` is an empty class list; name at least one class, e.g. `[0, 1]` or `0..4`");
                    return null;
                }
                foreach (var item in l.Items)
                {
                    if (item is not NumberNode { IsInteger: true, IsPercent: false } n) return WrongType(label, type, item);
                    if (!IsClass(n, type)) return ClassOutOfRange(n, type, label);
                    values.Add(((long)n.Value, item.Span));
                }
                break;
            case NumberNode { IsInteger: true, IsPercent: false } single:
                if (!IsClass(single, type)) return ClassOutOfRange(single, type, label);
                values.Add(((long)single.Value, node.Span));
                break;
            default:
                return WrongType(label, type, node);
        }

        var seen = new HashSet<long>();
        foreach (var (value, span) in values)
        {
            if (value < type.Min || value > type.Max)
            {
                Report(Descriptors.BadClassList, span, $"class {value} in `{label}` is out of range; classes are numbered {type.Min}..{type.Max}");
                return null;
            }
            if (!seen.Add(value))
            {
                Report(Descriptors.BadClassList, span, $"class {value} appears twice in `{label}`; list each class once");
                return null;
            }
        }
        return new BoundScalar(new IntListValue(values.Select(v => (int)v.Value).ToEquatableArray()), node.Span) { ItemSpans = values.Select(v => v.Span).ToList() };
    }

    // A written integer is a double (exact up to 2^53); compare before converting, since a huge one has no long.
    private static bool IsClass(NumberNode n, ClassListType type) => n.Value >= type.Min && n.Value <= type.Max;

    private BoundValue? ClassOutOfRange(NumberNode n, ClassListType type, string label)
    {
        Report(Descriptors.BadClassList, n.Span, $"class {n.Text} in `{label}` is out of range; classes are numbered {type.Min}..{type.Max}");
        return null;
    }

    /// <summary>The most values a range may stand for in an integer list (e.g. seeds); more is a typo, not a plan.</summary>
    public const int MaxRangeValues = 10000;

    private BoundValue? BindIntegers(ValueNode node, IntListType type, string label)
    {
        var values = new List<(long Value, SourceSpan Span, string Text)>();
        switch (node)
        {
            case NumberNode { IsInteger: true, IsPercent: false } single:
                values.Add(((long)single.Value, node.Span, single.Text));
                break;
            case RangeNode r when r.From <= r.To:
                // Bounds and size before items, and the size without overflow: long.MinValue..long.MaxValue
                // has 2^64 values, which `To - From` wraps to -1.
                if (r.From < type.Min) return OutOfRange(label, r.From.ToString(CultureInfo.InvariantCulture), type.DescribeRange(), node.Span);
                if (r.To > type.Max) return OutOfRange(label, r.To.ToString(CultureInfo.InvariantCulture), type.DescribeRange(), node.Span);
                ulong count = unchecked((ulong)(r.To - r.From)) + 1;
                if (count == 0 || count > MaxRangeValues)
                {
                    Report(Descriptors.OutOfRange, node.Span, label, $"{r.From}..{r.To}", $"a range of at most {MaxRangeValues} values (this one has {(count == 0 ? "2^64" : count.ToString(CultureInfo.InvariantCulture))})");
                    return null;
                }
                for (ulong k = 0; k < count; k++)
                {
                    long v = unchecked(r.From + (long)k);
                    values.Add((v, node.Span, v.ToString(CultureInfo.InvariantCulture)));
                }
                break;
            case ListNode l when l.Items.Count > 0:
                foreach (var item in l.Items)
                {
                    if (item is not NumberNode { IsInteger: true, IsPercent: false } n) return WrongType(label, type, item);
                    values.Add(((long)n.Value, item.Span, n.Text));
                }
                break;
            case RangeNode or ListNode:
                Report(Descriptors.OutOfRange, node.Span, label, ValueBinder.Describe(node), type.DescribeRange());
                return null;
            default:
                return WrongType(label, type, node);
        }
        var seen = new HashSet<long>();
        foreach (var (value, span, text) in values)
        {
            if (value < type.Min || value > type.Max) return OutOfRange(label, text, type.DescribeRange(), span);
            if (!seen.Add(value))
            {
                Report(Descriptors.RepeatedValue, span, value, label);
                return null;
            }
        }
        return new BoundScalar(new IntListValue(values.Select(v => (int)v.Value).ToEquatableArray()), node.Span);
    }

    private BoundValue? BindNames(ValueNode node, NameListType type, string label)
    {
        var items = node switch
        {
            ListNode l => l.Items,
            NameNode n => new ValueNode[] { n },
            _ => null,
        };
        if (items is null) return WrongType(label, type, node);
        var names = new List<string>();
        foreach (var item in items)
        {
            if (item is not NameNode n) return WrongType(label, type, item);
            if (type.Members.All(m => m.Name != n.Name.Text))
            {
                var known = type.Members.Select(m => m.Name).ToList();
                Report(Descriptors.UnknownForm, n.Span, n.Name.Text, label, Suggestions.DidYouMean(n.Name.Text, known), Suggestions.List(known));
                return null;
            }
            if (!names.Contains(n.Name.Text)) names.Add(n.Name.Text);
        }
        return new BoundScalar(new NameListValue(names.ToEquatableArray()), node.Span);
    }

    private BoundValue? BindNumbers(ValueNode node, NumberListType type, string label)
    {
        if (node is not ListNode l) return WrongType(label, type, node);
        var values = new List<double>();
        foreach (var item in l.Items)
        {
            if (item is not NumberNode { IsPercent: false } n) return WrongType(label, type, item);
            if (!type.Item.Contains(n.Value)) return OutOfRange(label, n.Text, type.Item.DescribeRange(), item.Span);
            values.Add(n.Value);
        }
        return new BoundScalar(new FloatListValue(values.ToEquatableArray()), node.Span);
    }

    private BoundValue? BindFormList(ValueNode node, FormListType type, string label)
    {
        if (node is not ListNode l) return WrongType(label, type, node);
        var forms = new List<BoundForm>();
        var seen = new Dictionary<string, SourceSpan>();
        bool ok = true;
        foreach (var item in l.Items)
        {
            if (Bind(item, type.Item, label) is not BoundForm form) { ok = false; continue; }
            if (seen.TryGetValue(form.Form.Name, out var first))
            {
                Report(Descriptors.RepeatedListForm, item.Span, form.Form.Name, label, first.Line);
                ok = false;
                continue;
            }
            seen[form.Form.Name] = item.Span;
            forms.Add(form);
        }
        return ok ? new BoundFormList(forms, node.Span) : null;
    }

    private BoundValue? WrongType(string label, SettingType type, ValueNode found)
    {
        Report(Descriptors.WrongType, found.Span, label, type.Describe(), Describe(found));
        return null;
    }

    private BoundValue? OutOfRange(string label, string text, string range, SourceSpan span)
    {
        Report(Descriptors.OutOfRange, span, label, text, range);
        return null;
    }

    private void Report(DiagnosticDescriptor descriptor, SourceSpan span, params object[] args) =>
        _diagnostics.Add(DslDiagnostic.Create(descriptor, _path, span, args));

    internal static string Describe(ValueNode node) => node switch
    {
        NumberNode { IsPercent: true } n => $"the percentage `{n.Text}`",
        NumberNode { IsInteger: true } n => $"the integer `{n.Text}`",
        NumberNode n => $"the number `{n.Text}`",
        StringNode s => $"the string \"{OneLine(s.Value)}\"",
        NameNode n => $"the name `{n.Name.Text}`",
        CallNode c => $"`{c.Name.Text}(...)`",
        ListNode => "a list",
        RangeNode r => $"the range `{r.From}..{r.To}`",
        _ => "a value",
    };

    /// <summary>User text inside a one-line message: escapes as the recipe would write them, other invisible characters as \\uXXXX.</summary>
    internal static string OneLine(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else if (char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format)
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Defaults are parsed from schema text; give every node the span of the setting they stand in for.</summary>
    private static ValueNode Relocate(ValueNode node, SourceSpan at) => node switch
    {
        CallNode c => new CallNode(c.Name with { Span = at }, c.Arguments.Select(a => new ArgumentNode(a.Name with { Span = at }, Relocate(a.Value, at), at)).ToList(), at),
        ListNode l => new ListNode(l.Items.Select(i => Relocate(i, at)).ToList(), at),
        NameNode n => new NameNode(n.Name with { Span = at }, at),
        _ => node with { Span = at },
    };
}
