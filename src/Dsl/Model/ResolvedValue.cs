using System;

namespace MiDistill.Dsl.Model;

// The compiled form of a recipe: every setting of every variant resolved to a plain value, defaults
// included. Records of strings, numbers and equatable arrays only, so the incremental generator can
// cache on them; no spans here (diagnostics travel separately), so editing a comment leaves them equal.

public abstract record ResolvedValue;
public sealed record IntValue(long Value) : ResolvedValue;
public sealed record FloatValue(double Value) : ResolvedValue;
public sealed record BoolValue(bool Value) : ResolvedValue;
public sealed record StringValue(string Value) : ResolvedValue;
public sealed record IntListValue(EquatableArray<int> Values) : ResolvedValue;
public sealed record FloatListValue(EquatableArray<double> Values) : ResolvedValue;
/// <summary>A list of chosen forms (e.g. augmentations), in the order written.</summary>
public sealed record FormListValue(EquatableArray<FormValue> Forms) : ResolvedValue;
public sealed record NameListValue(EquatableArray<string> Names) : ResolvedValue;
/// <summary>A chosen form of a choice setting with all of its arguments (defaults filled in).</summary>
public sealed record FormValue(string Form, EquatableArray<ResolvedArgument> Arguments) : ResolvedValue
{
    public ResolvedValue? Argument(string name)
    {
        foreach (var a in Arguments) if (a.Name == name) return a.Value;
        return null;
    }
}

public sealed record ResolvedArgument(string Name, ResolvedValue Value);

/// <summary>One setting's value; <see cref="Line"/> (1-based) is where the value came from, 0 for a default.</summary>
public sealed record ResolvedSetting(string Section, string Setting, ResolvedValue Value, int Line);

public sealed record VariantSpec(string Name, int Line, EquatableArray<ResolvedSetting> Settings)
{
    public ResolvedValue Get(string section, string setting)
    {
        foreach (var s in Settings)
            if (s.Section == section && s.Setting == setting) return s.Value;
        throw new InvalidOperationException($"setting {section}.{setting} was not resolved");
    }
}

/// <summary>A recipe ready to emit. <see cref="FileName"/> is the .distill file's name (no directory).</summary>
public sealed record RecipeSpec(string Name, string FileName, int Line, EquatableArray<VariantSpec> Variants);
