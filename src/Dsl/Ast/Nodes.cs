using System.Collections.Generic;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Ast;

// Immutable syntax tree of a .distill file. Every node keeps its source span so that any later
// phase can point a diagnostic at the exact text.

public sealed record Identifier(string Text, SourceSpan Span);

public sealed record RecipeFileNode(IReadOnlyList<RecipeNode> Recipes);

public sealed record RecipeNode(Identifier Name, IReadOnlyList<SectionNode> Sections, IReadOnlyList<VariantsNode> VariantBlocks, SourceSpan Span)
{
    /// <summary>The recipe's <c>sweep</c> blocks (at most one is valid; a second is MD0112).</summary>
    public IReadOnlyList<SweepNode> Sweeps { get; init; } = System.Array.Empty<SweepNode>();
}

public sealed record SectionNode(Identifier Name, IReadOnlyList<SettingNode> Settings, SourceSpan Span);

public sealed record SettingNode(Identifier Name, ValueNode Value, SourceSpan Span);

public sealed record VariantsNode(Identifier Keyword, IReadOnlyList<VariantNode> Variants, SourceSpan Span);

public sealed record VariantNode(Identifier Name, IReadOnlyList<AssignmentNode> Assignments, SourceSpan Span);

/// <summary>
/// <c>sweep { path [values]; ... }</c>: grids over settings, crossed with each other and with the
/// variants they apply to. An entry without a dot (<c>limit 64</c>, <c>variants [a, b]</c>) is an option of the sweep.
/// </summary>
public sealed record SweepNode(Identifier Keyword, IReadOnlyList<SweepEntryNode> Entries, SourceSpan Span);

/// <summary><c>finetune.objective.rho [0.05, 0.1]</c> (an axis) or <c>limit 64</c> (an option: a one-part path).</summary>
public sealed record SweepEntryNode(IReadOnlyList<Identifier> Path, ValueNode Value, SourceSpan Span)
{
    public string PathText => string.Join(".", System.Linq.Enumerable.Select(Path, p => p.Text));
}

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
