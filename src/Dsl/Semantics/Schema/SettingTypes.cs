using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace MiDistill.Dsl.Semantics.Schema;

// The value types a setting can have. Each describes itself for messages and docs, and carries
// what the emitter needs to write the C# value (the runtime option record or enum it maps to).

public abstract record SettingType
{
    /// <summary>What a value of this type looks like, for "expects ..." messages and the docs.</summary>
    public abstract string Describe();
    /// <summary>The accepted range, for docs ("" when any value of the type is fine).</summary>
    public virtual string DescribeRange() => "";

    protected static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

public sealed record IntType(long Min, long Max) : SettingType
{
    public override string Describe() => "an integer";
    public override string DescribeRange() =>
        Max >= int.MaxValue ? $">= {Min}" : $"{Min}..{Max}";
}

public sealed record FloatType(double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false) : SettingType
{
    public override string Describe() => "a number";
    public override string DescribeRange()
    {
        if (double.IsPositiveInfinity(Max)) return (MinExclusive ? "> " : ">= ") + Num(Min);
        return (MinExclusive ? "(" : "[") + Num(Min) + ", " + Num(Max) + (MaxExclusive ? ")" : "]");
    }
    public bool Contains(double v) =>
        (MinExclusive ? v > Min : v >= Min) && (MaxExclusive ? v < Max : v <= Max);
}

/// <summary>A fraction written as <c>20%</c> or <c>0.2</c>.</summary>
public sealed record FractionType(double Max) : SettingType
{
    public override string Describe() => "a fraction (`20%` or `0.2`)";
    public override string DescribeRange() => "[0, " + Num(Max) + "]";
}

public sealed record BoolType : SettingType
{
    public override string Describe() => "`true` or `false`";
}

public sealed record StringType : SettingType
{
    public override string Describe() => "a string in double quotes";
}

/// <summary>Class indices: <c>5..9</c>, <c>[0, 2, 4]</c> or a single <c>3</c>.</summary>
public sealed record ClassListType(int Min, int Max) : SettingType
{
    public override string Describe() => "a class range like `0..4` or a list like `[0, 2, 4]`";
    public override string DescribeRange() => $"class indices {Min}..{Max} (at most the source's class count), non-empty, no repeats";
}

/// <summary>Distinct integers: <c>0</c>, <c>[0, 1, 2]</c> or <c>0..4</c>.</summary>
public sealed record IntListType(long Min, long Max) : SettingType
{
    public override string Describe() => "an integer, a list like `[0, 1, 2]` or a range like `0..4`";
    public override string DescribeRange() => (Max == long.MaxValue ? $">= {Min}" : $"{Min}..{Max}") + ", non-empty, no repeats";
}

/// <summary>A list of names mapping to members of a runtime enum.</summary>
public sealed record NameListType(string ClrEnum, IReadOnlyList<NameMember> Members) : SettingType
{
    public override string Describe() => "a list like [" + string.Join(", ", Members.Select(m => m.Name)) + "]";
    public override string DescribeRange() => "any of " + string.Join(", ", Members.Select(m => "`" + m.Name + "`"));
}

/// <summary>A list of numbers, each in <see cref="Item"/>'s range: <c>[1, 1, 0.5, 0.25]</c>.</summary>
public sealed record NumberListType(FloatType Item) : SettingType
{
    public override string Describe() => "a list of numbers like `[1, 0.5]`";
    public override string DescribeRange() => "each in " + Item.DescribeRange();
}

/// <summary>
/// A list of forms of one choice, e.g. augmentations <c>[crop(padding: 4), flip]</c>; each form at
/// most once. <see cref="ClrElement"/> is the runtime base record of the forms.
/// </summary>
public sealed record FormListType(ChoiceType Item, string ClrElement) : SettingType
{
    public override string Describe() => "a list like `[" + string.Join(", ", Item.Forms.Select(f => f.Name)) + "]`";
    public override string DescribeRange() => "any of " + string.Join(", ", Item.Forms.Select(f => "`" + f.Name + "`")) + ", each at most once";
}

public sealed record NameMember(string Name, string ClrMember, string Doc);

public enum ChoiceEmission
{
    /// <summary>Each form is a runtime record (positional or init-only).</summary>
    Records,
    /// <summary>Each form is a member of a runtime enum (forms take no arguments).</summary>
    Enum,
    /// <summary>Each form is passed as its name, a string (e.g. the dataset source).</summary>
    Name,
}

/// <summary>One of several named forms, each with its own arguments: <c>sam(rho: 0.05)</c>, <c>cross_entropy</c>.</summary>
public sealed record ChoiceType(string Name, IReadOnlyList<Form> Forms, ChoiceEmission Emission = ChoiceEmission.Records, string ClrEnum = "") : SettingType
{
    public override string Describe() => "one of " + string.Join(", ", Forms.Select(f => "`" + f.Name + "`"));
    public Form? Find(string name) => Forms.FirstOrDefault(f => f.Name == name);
}

public sealed record Form(string Name, string Doc, string ClrType, IReadOnlyList<Argument> Arguments, bool Positional = true)
{
    /// <summary>A data source's build-time facts (class count, images per class), when it declares them.</summary>
    public DataFacts? Facts { get; init; }

    public Argument? Find(string name) => Arguments.FirstOrDefault(a => a.Name == name);
}

/// <summary>
/// A setting of a section or an argument of a form. <see cref="Default"/> is written in recipe
/// syntax and compiled like user text; null means required, unless <see cref="DefaultDoc"/> says
/// where the value comes from instead (e.g. a ViT preset).
/// </summary>
public sealed record Argument(string Name, SettingType Type, string? Default, string ClrName, string Doc, string? DefaultDoc = null)
{
    public bool Required => Default is null && DefaultDoc is null;

    /// <summary>
    /// A resource of the process that runs the recipe (device, threads, workers, folders), not a
    /// choice of the experiment: one value for every variant, so a variant or a sweep may not set it.
    /// </summary>
    public bool PerProcess { get; init; }
}

public sealed record Section(string Name, string Doc, string ClrType, string ClrProperty, IReadOnlyList<Argument> Settings)
{
    public Argument? Find(string name) => Settings.FirstOrDefault(a => a.Name == name);
}
