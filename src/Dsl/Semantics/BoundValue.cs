using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

// Values during checking: like ResolvedValue, but each remembers the span it came from so that
// cross-setting checks and variant overrides can point at the right text.

internal abstract record BoundValue(SourceSpan Span)
{
    /// <summary>True when the schema's default stands in for a value the recipe did not write.</summary>
    public bool FromDefault { get; init; }

    /// <summary>For lists, each item's span, so checks that need more context can point at the item.</summary>
    public IReadOnlyList<SourceSpan>? ItemSpans { get; init; }

    public abstract ResolvedValue ToResolved();
}

internal sealed record BoundScalar(ResolvedValue Value, SourceSpan Span) : BoundValue(Span)
{
    public override ResolvedValue ToResolved() => Value;
}

internal sealed record BoundForm(Form Form, IReadOnlyDictionary<string, BoundValue> Arguments, SourceSpan Span) : BoundValue(Span)
{
    public BoundValue? Argument(string name) => Arguments.TryGetValue(name, out var v) ? v : null;

    public BoundForm With(string name, BoundValue value)
    {
        var args = new Dictionary<string, BoundValue>(Arguments.Count + 1);
        foreach (var kv in Arguments) args[kv.Key] = kv.Value;
        args[name] = value;
        return this with { Arguments = args };
    }

    // Arguments in schema order, so emission does not depend on the order a user wrote them in.
    public override ResolvedValue ToResolved() =>
        new FormValue(Form.Name, Form.Arguments
            .Where(a => Arguments.ContainsKey(a.Name))
            .Select(a => new ResolvedArgument(a.Name, Arguments[a.Name].ToResolved()))
            .ToEquatableArray());
}

internal sealed record BoundFormList(IReadOnlyList<BoundForm> Items, SourceSpan Span) : BoundValue(Span)
{
    public override ResolvedValue ToResolved() =>
        new FormListValue(Items.Select(i => (FormValue)i.ToResolved()).ToEquatableArray());
}
