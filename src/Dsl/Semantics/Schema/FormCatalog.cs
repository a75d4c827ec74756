using MiDistill.Dsl.Model;

namespace MiDistill.Dsl.Semantics.Schema;

// The recipe forms the runtime (and the user's own project) declares, as plain data: the generator
// reads them from the compilation's attributes and hands them to src/Dsl, which knows nothing of
// Roslyn or TorchSharp. Records of strings, numbers and equatable arrays, so the incremental
// generator caches on them: an edit elsewhere in the user's C# leaves the catalog equal.

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
/// One argument of a form. <see cref="Min"/> and <see cref="Max"/> bound numbers (and number list
/// items); NaN = no bound beyond the C# type's. <see cref="Default"/> is recipe syntax; null = required.
/// </summary>
public sealed record ArgDecl(string Name, string ClrName, ArgKind Kind, string Ref, double Min, double Max,
    bool MinExclusive, bool MaxExclusive, string? Default, string Doc);

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

/// <summary>Every declared choice, form and enum the recipes of one project can use.</summary>
public sealed record FormCatalog(EquatableArray<ChoiceDecl> Choices, EquatableArray<FormDecl> Forms, EquatableArray<EnumDecl> Enums)
{
    public static FormCatalog Empty { get; } = new(EquatableArray<ChoiceDecl>.Empty, EquatableArray<FormDecl>.Empty, EquatableArray<EnumDecl>.Empty);
}

/// <summary>Something wrong with a declaration (a form's C# record), reported at the record in C#.</summary>
public sealed record CatalogProblem(string ClrType, string Message);
