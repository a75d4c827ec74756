using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Semantics.Schema;

namespace MiDistill.LanguageServer.Analysis;

/// <summary>What a word at some place in a recipe is, or would be if typed there.</summary>
public enum SlotKind
{
    None,
    /// <summary>Top level: the keyword <c>recipe</c>.</summary>
    RecipeKeyword,
    RecipeName,
    /// <summary>Inside a recipe: a section, <c>variants</c> or <c>sweep</c>.</summary>
    SectionName,
    /// <summary>Inside a section: one of its settings.</summary>
    SettingName,
    /// <summary>A value of <see cref="Slot.Type"/>: a form, an enum member, a number, a string.</summary>
    Value,
    /// <summary>Inside <c>form(...)</c>: one of the form's arguments.</summary>
    ArgumentName,
    VariantName,
    /// <summary>A part of <c>section.setting.argument</c> in a variant (<see cref="Slot.Path"/> = the parts before it).</summary>
    OverridePath,
    /// <summary>A part of a grid's path in <c>sweep</c>, or a sweep option.</summary>
    SweepPath,
}

/// <param name="Path">For paths, the parts before this one; for values, the setting's path (for hover and messages).</param>
/// <param name="Owner">The setting or argument whose value this is, or whose name this is.</param>
/// <param name="Form">For argument names, the form they belong to.</param>
public sealed record Slot(SlotKind Kind, string? Section = null, IReadOnlyList<string>? Path = null, SettingType? Type = null,
    Argument? Owner = null, Form? Form = null, IReadOnlyCollection<string>? Given = null)
{
    public static Slot None { get; } = new(SlotKind.None);
}

/// <summary>
/// Finds the <see cref="Slot"/> at an offset by walking the tokens before it with a stack of open
/// blocks, calls and lists. It follows the grammar's shapes (RecipeGrammar) loosely, because it must
/// make sense of text that does not parse yet; the schema gives each value its type.
/// </summary>
public sealed class CursorContext
{
    private enum FrameKind { File, Recipe, Section, Variants, Variant, Sweep, Call, List, Unknown }

    private enum Phase { Head, AfterHead, Value, AfterValue }

    private sealed class Frame(FrameKind kind)
    {
        public FrameKind Kind { get; } = kind;
        public Phase Phase { get; set; } = Phase.Head;
        public string? Name { get; set; }
        public Section? Section { get; init; }
        public Form? Form { get; init; }
        /// <summary>The type of values in this list, or of the value being written in a statement.</summary>
        public SettingType? ValueType { get; set; }
        public Argument? Owner { get; set; }
        public string? LastName { get; set; }
        public List<string> Path { get; } = new();
        public bool AfterDot { get; set; }
        public HashSet<string> Given { get; } = new();
        public string? SectionName { get; init; }
    }

    private readonly RecipeSchema _schema;
    private readonly RecipeFileNode? _tree;

    /// <param name="tree">The last tree that parsed (for the forms a recipe's base settings use), or null.</param>
    public CursorContext(RecipeSchema schema, RecipeFileNode? tree)
    {
        _schema = schema;
        _tree = tree;
    }

    /// <summary>The slot a word starting at <paramref name="offset"/> fills (tokens from there on are not read).</summary>
    public Slot At(IReadOnlyList<Token> tokens, int offset)
    {
        var stack = new List<Frame> { new(FrameKind.File) };
        foreach (var token in tokens)
        {
            if (token.Start >= offset) break;
            if (token.Kind == TokenKind.Comment) continue;
            Step(stack, token, offset);
        }
        return SlotOf(stack, offset);
    }

    private void Step(List<Frame> stack, Token token, int offset)
    {
        var top = stack[^1];
        bool name = token.Kind == TokenKind.Name;
        if (token.Is('}') || token.Is(')') || token.Is(']'))
        {
            if (stack.Count > 1) stack.RemoveAt(stack.Count - 1);
            stack[^1].Phase = stack[^1].Kind is FrameKind.Call or FrameKind.List ? Phase.AfterValue : Phase.Head;
            if (stack[^1].Kind is FrameKind.Section or FrameKind.Variant or FrameKind.Sweep) stack[^1].Phase = Phase.AfterValue;
            stack[^1].LastName = null;
            return;
        }
        switch (top.Kind)
        {
            case FrameKind.File:
                if (name && token.Text == "recipe") top.Phase = Phase.AfterHead;
                else if (name && top.Phase == Phase.AfterHead) { top.Name = token.Text; top.Phase = Phase.Value; }
                else if (token.Is('{')) { stack.Add(new Frame(FrameKind.Recipe) { Name = top.Name }); top.Phase = Phase.Head; }
                return;
            case FrameKind.Recipe:
                if (name) { top.Name = token.Text; top.Phase = Phase.AfterHead; }
                else if (token.Is('{'))
                {
                    var kind = top.Name == RecipeSchema.VariantsKeyword ? FrameKind.Variants : top.Name == RecipeSchema.SweepKeyword ? FrameKind.Sweep : FrameKind.Section;
                    stack.Add(new Frame(kind) { Section = top.Name is null ? null : _schema.FindSection(top.Name), SectionName = top.Name });
                    top.Phase = Phase.Head;
                }
                return;
            case FrameKind.Variants:
                if (name) { top.Name = token.Text; top.Phase = Phase.AfterHead; }
                else if (token.Is('{')) { stack.Add(new Frame(FrameKind.Variant) { Name = top.Name }); top.Phase = Phase.Head; }
                return;
            case FrameKind.Section:
                if (top.Phase is Phase.Head || (top.Phase == Phase.AfterValue && name))
                {
                    if (!name) return;
                    top.Owner = top.Section?.Find(token.Text);
                    top.ValueType = top.Owner?.Type;
                    top.Path.Clear();
                    top.Path.Add(top.SectionName ?? "");
                    top.Path.Add(token.Text);
                    top.Given.Add(token.Text);
                    top.Phase = Phase.Value;
                    return;
                }
                if (token.Is(';')) { top.Phase = Phase.Head; return; }
                Value(stack, top, token);
                return;
            case FrameKind.Variant:
            case FrameKind.Sweep:
                if (top.Phase is Phase.Head || (top.Phase == Phase.AfterValue && name && top.Kind == FrameKind.Variant) || (top.Phase == Phase.AfterValue && name && top.LastName is null))
                {
                    if (!name) return;
                    top.Path.Clear();
                    top.Path.Add(token.Text);
                    top.AfterDot = false;
                    top.Phase = Phase.AfterHead;
                    return;
                }
                if (top.Phase == Phase.AfterHead)
                {
                    if (token.Is('.')) { top.AfterDot = true; return; }
                    if (name && top.AfterDot) { top.Path.Add(token.Text); top.AfterDot = false; return; }
                    top.Owner = ResolvePath(top.Path, out var type);
                    top.ValueType = type;
                    if (top.Kind == FrameKind.Sweep && top.Path.Count == 1 && top.Path[0] == "limit") top.ValueType = new IntType(1, int.MaxValue);
                    top.Phase = Phase.Value;
                    if (token.Is('=')) return;
                    // A sweep's grid lists values of the path's type.
                }
                if (token.Is(';')) { top.Phase = Phase.Head; return; }
                Value(stack, top, token);
                return;
            case FrameKind.Call:
                if (top.Phase == Phase.Head || top.Phase == Phase.AfterValue && token.Is(','))
                {
                    if (token.Is(',')) { top.Phase = Phase.Head; return; }
                    if (!name) return;
                    top.Owner = top.Form?.Find(token.Text);
                    top.ValueType = top.Owner?.Type;
                    top.Given.Add(token.Text);
                    top.Phase = Phase.AfterHead;
                    return;
                }
                if (top.Phase == Phase.AfterHead) { if (token.Is(':')) top.Phase = Phase.Value; return; }
                if (token.Is(',')) { top.Phase = Phase.Head; return; }
                Value(stack, top, token);
                return;
            case FrameKind.List:
                if (token.Is(',')) { top.Phase = Phase.Value; return; }
                Value(stack, top, token);
                return;
            default:
                if (token.Is('{') || token.Is('(') || token.Is('[')) stack.Add(new Frame(FrameKind.Unknown));
                return;
        }
    }

    // A value inside any frame: a name (maybe a form, then `(`), a list, a number or a string.
    private void Value(List<Frame> stack, Frame top, Token token)
    {
        if (token.Is('(') && top.LastName is not null)
        {
            var form = ChoiceOf(top.ValueType)?.Find(top.LastName);
            stack.Add(new Frame(FrameKind.Call) { Form = form, Name = top.LastName });
            top.LastName = null;
            return;
        }
        if (token.Is('['))
        {
            stack.Add(new Frame(FrameKind.List) { ValueType = ItemType(top.ValueType, top.Kind == FrameKind.Sweep), Owner = top.Owner, Phase = Phase.Value });
            top.LastName = null;
            return;
        }
        if (token.Is('{') || token.Is('(')) { stack.Add(new Frame(FrameKind.Unknown)); return; }
        top.LastName = token.Kind == TokenKind.Name ? token.Text : null;
        top.Phase = Phase.AfterValue;
    }

    private Slot SlotOf(List<Frame> stack, int offset)
    {
        var top = stack[^1];
        switch (top.Kind)
        {
            case FrameKind.File:
                return top.Phase == Phase.AfterHead ? new Slot(SlotKind.RecipeName) : new Slot(SlotKind.RecipeKeyword);
            case FrameKind.Recipe:
                return top.Phase == Phase.Head ? new Slot(SlotKind.SectionName) : Slot.None;
            case FrameKind.Variants:
                return top.Phase == Phase.Head ? new Slot(SlotKind.VariantName) : Slot.None;
            case FrameKind.Section:
                if (top.Phase is Phase.Head or Phase.AfterValue)
                    return new Slot(SlotKind.SettingName, top.SectionName, Given: top.Given);
                return new Slot(SlotKind.Value, top.SectionName, top.Path.ToList(), top.ValueType, top.Owner);
            case FrameKind.Variant:
            case FrameKind.Sweep:
                var pathKind = top.Kind == FrameKind.Variant ? SlotKind.OverridePath : SlotKind.SweepPath;
                if (top.Phase is Phase.Head or Phase.AfterValue) return new Slot(pathKind, Path: System.Array.Empty<string>());
                if (top.Phase == Phase.AfterHead && top.AfterDot) return new Slot(pathKind, Path: top.Path.ToList());
                if (top.Phase == Phase.AfterHead)
                {
                    // `section.setting |` in a sweep: the grid's values follow.
                    if (top.Kind == FrameKind.Sweep)
                    {
                        var owner = ResolvePath(top.Path, out var type);
                        return new Slot(SlotKind.Value, Path: top.Path.ToList(), Type: type, Owner: owner);
                    }
                    return Slot.None;
                }
                return new Slot(SlotKind.Value, Path: top.Path.ToList(), Type: top.ValueType, Owner: top.Owner);
            case FrameKind.Call:
                if (top.Phase == Phase.Head) return new Slot(SlotKind.ArgumentName, Form: top.Form, Given: top.Given);
                if (top.Phase == Phase.Value) return new Slot(SlotKind.Value, Type: top.ValueType, Owner: top.Owner, Form: top.Form);
                return Slot.None;
            case FrameKind.List:
                return top.Phase == Phase.Value ? new Slot(SlotKind.Value, Type: top.ValueType, Owner: top.Owner) : Slot.None;
            default:
                return Slot.None;
        }
    }

    private static ChoiceType? ChoiceOf(SettingType? type) => type switch
    {
        ChoiceType c => c,
        FormListType l => l.Item,
        _ => null,
    };

    // What a list holds: a form list holds forms, a name list names; a sweep's grid lists values of the path's own type.
    private static SettingType? ItemType(SettingType? type, bool sweepGrid) => sweepGrid ? type : type switch
    {
        FormListType l => l.Item,
        NumberListType n => n.Item,
        IntListType i => new IntType(i.Min, i.Max),
        ClassListType c => new IntType(c.Min, c.Max),
        _ => type,
    };

    /// <summary>The setting or argument a path names: <c>section.setting</c>, then arguments of the form the base recipe sets there.</summary>
    public Argument? ResolvePath(IReadOnlyList<string> path, out SettingType? type)
    {
        type = null;
        if (path.Count < 2) return null;
        var setting = _schema.FindSection(path[0])?.Find(path[1]);
        if (setting is null) return null;
        type = setting.Type;
        var owner = setting;
        for (int i = 2; i < path.Count; i++)
        {
            var form = FormFor(path.Take(i).ToList(), ChoiceOf(type), path[i]);
            owner = form?.Find(path[i]);
            if (owner is null) { type = null; return null; }
            type = owner.Type;
        }
        return owner;
    }

    /// <summary>The form the recipe's base settings give to <paramref name="path"/>, else the first form of the choice that has the argument.</summary>
    public Form? FormFor(IReadOnlyList<string> path, ChoiceType? choice, string? argument)
    {
        if (choice is null) return null;
        var baseName = BaseFormName(path);
        if (baseName is not null && choice.Find(baseName) is { } chosen) return chosen;
        return argument is null ? null : choice.Forms.FirstOrDefault(f => f.Find(argument) is not null);
    }

    private string? BaseFormName(IReadOnlyList<string> path)
    {
        if (_tree is null || path.Count < 2) return null;
        foreach (var recipe in _tree.Recipes)
            foreach (var section in recipe.Sections.Where(s => s.Name.Text == path[0]))
                foreach (var setting in section.Settings.Where(s => s.Name.Text == path[1]))
                {
                    ValueNode? value = setting.Value;
                    for (int i = 2; i < path.Count && value is CallNode call; i++)
                        value = call.Arguments.FirstOrDefault(a => a.Name.Text == path[i])?.Value;
                    return value switch { CallNode c => c.Name.Text, NameNode n => n.Name.Text, _ => null };
                }
        return null;
    }
}
