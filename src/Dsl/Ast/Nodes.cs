using System.Collections.Generic;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Ast;

// Immutable syntax tree of a .distill file. Every node keeps its source span so that any later
// phase can point a diagnostic at the exact text.

public sealed record Identifier(string Text, SourceSpan Span);

public sealed record RecipeFileNode(IReadOnlyList<RecipeNode> Recipes);

public sealed record RecipeNode(Identifier Name, IReadOnlyList<SectionNode> Sections, IReadOnlyList<VariantsNode> VariantBlocks, SourceSpan Span);

public sealed record SectionNode(Identifier Name, IReadOnlyList<SettingNode> Settings, SourceSpan Span);

public sealed record SettingNode(Identifier Name, ValueNode Value, SourceSpan Span);

public sealed record VariantsNode(Identifier Keyword, IReadOnlyList<VariantNode> Variants, SourceSpan Span);

public sealed record VariantNode(Identifier Name, IReadOnlyList<AssignmentNode> Assignments, SourceSpan Span);

/// <summary><c>section.setting = value</c> or <c>section.setting.argument = value</c>.</summary>
public sealed record AssignmentNode(IReadOnlyList<Identifier> Path, ValueNode Value, SourceSpan Span)
{
    public string PathText => string.Join(".", System.Linq.Enumerable.Select(Path, p => p.Text));
}

public abstract record ValueNode(SourceSpan Span);

/// <summary>A number as written; <see cref="IsPercent"/> for <c>20%</c> (Value is then 20).</summary>
public sealed record NumberNode(double Value, bool IsInteger, bool IsPercent, string Text, SourceSpan Span) : ValueNode(Span);

public sealed record StringNode(string Value, SourceSpan Span) : ValueNode(Span);

/// <summary>A bare name: an enum member, a form without arguments, true/false.</summary>
public sealed record NameNode(Identifier Name, SourceSpan Span) : ValueNode(Span);

/// <summary><c>name(arg: value, ...)</c>: a form with arguments.</summary>
public sealed record CallNode(Identifier Name, IReadOnlyList<ArgumentNode> Arguments, SourceSpan Span) : ValueNode(Span);

public sealed record ArgumentNode(Identifier Name, ValueNode Value, SourceSpan Span);

public sealed record ListNode(IReadOnlyList<ValueNode> Items, SourceSpan Span) : ValueNode(Span);

/// <summary>An inclusive integer range <c>from..to</c>.</summary>
public sealed record RangeNode(long From, long To, SourceSpan Span) : ValueNode(Span);
