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

    // Typed reads for the cross-setting checks: the schema already checked each value's type, so
    // a mismatch here is a compiler bug and says which value it was.
    public long AsInt() => Scalar<IntValue>().Value;
    public double AsFloat() => Scalar<FloatValue>().Value;
    public bool AsBool() => Scalar<BoolValue>().Value;
    public EquatableArray<int> AsInts() => Scalar<IntListValue>().Values;
    public EquatableArray<double> AsFloats() => Scalar<FloatListValue>().Values;
    public BoundForm AsForm() => this as BoundForm ?? throw Mismatch("a form");

    private T Scalar<T>() where T : ResolvedValue =>
        (this as BoundScalar)?.Value as T ?? throw Mismatch(typeof(T).Name);

    private System.InvalidOperationException Mismatch(string expected) =>
        new($"internal: the value at {Span} is {GetType().Name}, not {expected}");
}

internal sealed record BoundScalar(ResolvedValue Value, SourceSpan Span) : BoundValue(Span)
{
    public override ResolvedValue ToResolved() => Value;
}

internal sealed record BoundForm(Form Form, IReadOnlyDictionary<string, BoundValue> Arguments, SourceSpan Span) : BoundValue(Span)
{
    public BoundValue? Argument(string name) => Arguments.TryGetValue(name, out var v) ? v : null;

    /// <summary>An argument the form always has (a default fills it when the recipe leaves it out).</summary>
    public BoundValue Required(string name) =>
        Argument(name) ?? throw new System.InvalidOperationException($"internal: `{Form.Name}` has no argument `{name}`");

    public string Name => Form.Name;
    public long Int(string name) => Required(name).AsInt();
    public double Float(string name) => Required(name).AsFloat();
    public EquatableArray<int> Ints(string name) => Required(name).AsInts();
    public EquatableArray<double> Floats(string name) => Required(name).AsFloats();
    public BoundForm FormArg(string name) => Required(name).AsForm();

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
