using MiDistill.Dsl.Model;

namespace MiDistill.Dsl.Semantics.Schema;

// The recipe sections and forms the runtime (and the user's own project) declares, as plain data:
// the generator reads them from the compilation's attributes and hands them to src/Dsl, which knows
// nothing of Roslyn or TorchSharp. Records of strings, numbers and equatable arrays, so the
// incremental generator caches on them: an edit elsewhere in the user's C# leaves the catalog equal.

/// <summary>How an argument's value is written and emitted.</summary>
public enum ArgKind
{
    Int,
    Float,
    /// <summary>A double written as <c>20%</c> or <c>0.2</c>.</summary>
    Fraction,
    Bool,
    String,
    /// <summary>One member of a runtime enum; <see cref="ArgDecl.Ref"/> is the enum's C# name.</summary>
    Enum,
    /// <summary>One form of a choice; <see cref="ArgDecl.Ref"/> is the choice's id.</summary>
    Form,
    IntList,
    /// <summary>Class indices: <c>0..4</c>, <c>[0, 2]</c> or <c>3</c>.</summary>
    ClassList,
    NumberList,
    /// <summary>A list of forms of one choice (<see cref="ArgDecl.Ref"/>), each at most once.</summary>
    FormList,
    /// <summary>A list of members of a runtime enum (<see cref="ArgDecl.Ref"/>).</summary>
    EnumList,
}

/// <summary>
/// One argument of a form, or one setting of a section. <see cref="Min"/> and <see cref="Max"/> bound
/// numbers (and number list items); NaN = no bound beyond the C# type's. <see cref="Default"/> is
/// recipe syntax; null = required, unless <see cref="DefaultDoc"/> says where the value comes from.
/// </summary>
public sealed record ArgDecl(string Name, string ClrName, ArgKind Kind, string Ref, double Min, double Max,
    bool MinExclusive, bool MaxExclusive, string? Default, string Doc)
{
    /// <summary>What the docs say in place of a default (a setting that is not always required).</summary>
    public string? DefaultDoc { get; init; }

    /// <summary>A setting of the process that runs the recipe, which variants and sweeps may not set (MD0170).</summary>
    public bool PerProcess { get; init; }
}

/// <summary>What a data source knows at build time (0 = unknown).</summary>
public sealed record DataFacts(string Title, int Classes, int TrainImagesPerClass, int TestImagesPerClass);

/// <summary>
/// A form of a choice, e.g. the student <c>resnet18</c>: its recipe name, doc, the C# record it
/// compiles to (fully qualified, <c>global::</c>) and its arguments in constructor order.
/// </summary>
public sealed record FormDecl(string Choice, string Name, string Doc, string ClrType, EquatableArray<ArgDecl> Arguments, DataFacts? Facts = null);

/// <summary>A choice (the abstract record its forms derive from).</summary>
public sealed record ChoiceDecl(string Id, string ClrType);

public sealed record EnumMemberDecl(string Name, string ClrMember, string Doc);

/// <summary>A runtime enum an argument can take, with its members' recipe names.</summary>
public sealed record EnumDecl(string ClrType, EquatableArray<EnumMemberDecl> Members);

/// <summary>
/// A recipe section, e.g. <c>finetune</c>: the record it compiles to (fully qualified), the property of
/// ExperimentOptions that holds it, and its settings in declaration order. <see cref="Order"/> places
/// it among the sections.
/// </summary>
public sealed record SectionDecl(string Name, string Doc, int Order, string ClrType, string ClrProperty, EquatableArray<ArgDecl> Settings);

/// <summary>
/// Settings declared on a record that is not a section: the arguments of a form the language itself
/// defines (the `upstream` pretraining, whose record is PretrainOptions).
/// </summary>
public sealed record SettingsDecl(string ClrType, EquatableArray<ArgDecl> Settings);

/// <summary>Every declared section, choice, form and enum the recipes of one project can use.</summary>
public sealed record FormCatalog(EquatableArray<ChoiceDecl> Choices, EquatableArray<FormDecl> Forms, EquatableArray<EnumDecl> Enums,
    EquatableArray<SectionDecl> Sections, EquatableArray<SettingsDecl> SettingRecords)
{
    public static FormCatalog Empty { get; } = new(EquatableArray<ChoiceDecl>.Empty, EquatableArray<FormDecl>.Empty, EquatableArray<EnumDecl>.Empty,
        EquatableArray<SectionDecl>.Empty, EquatableArray<SettingsDecl>.Empty);
}

/// <summary>Something wrong with a declaration (a form's or a section's C# record), reported at the record in C#.</summary>
public sealed record CatalogProblem(string ClrType, string Message);
