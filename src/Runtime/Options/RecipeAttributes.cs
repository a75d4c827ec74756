using System;

namespace MiDistill.Runtime.Options;

// The declarations the recipe compiler reads. A recipe form (a student, a loss, an optimizer, a data
// source, ...) is one record: its recipe name and docs on the record, its arguments (name, range,
// default, docs) on the primary constructor's parameters, its behaviour in the record's overrides.
// The generator finds these attributes in the runtime and in the user's own project at build time
// and checks recipes against them, so a user's own student is checked exactly like ours.
// A recipe section (`finetune { ... }`) is one record too: its name and doc on the record, each
// setting (name, range, default, doc) on its property; the generator reads them from this assembly.

/// <summary>
/// Marks an abstract options record as a choice a recipe setting can take, e.g. the student. Every
/// non-abstract record deriving from it with <see cref="RecipeFormAttribute"/> is one of its forms.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RecipeChoiceAttribute(string name) : Attribute
{
    /// <summary>The choice's id, referred to by the recipe sections (e.g. <c>student</c>, <c>distill_loss</c>).</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Makes a record a form of the choice its base record declares, written in a recipe as
/// <c>name</c> or <c>name(argument: value, ...)</c>. Every parameter of the record's primary
/// constructor is an argument; a parameter with a default value is optional in recipes too.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RecipeFormAttribute(string name, string doc) : Attribute
{
    /// <summary>The name recipes write (lower snake_case).</summary>
    public string Name { get; } = name;

    /// <summary>One sentence for docs/language.md and the IDE.</summary>
    public string Doc { get; } = doc;
}

/// <summary>How an argument's value is written, where the C# type alone does not say.</summary>
public enum RecipeArgKind
{
    /// <summary>As the C# type implies: a number, a boolean, a string, a form, a list.</summary>
    Value,
    /// <summary>A <c>double</c> written as <c>20%</c> or <c>0.2</c>.</summary>
    Fraction,
    /// <summary>A list of <c>int</c> class indices, written <c>0..4</c>, <c>[0, 2]</c> or <c>3</c>.</summary>
    Classes,
}

/// <summary>
/// What a recipe form's argument and a section's setting share: the recipe name when it is not the
/// C# name in snake_case, the one-line doc, the range, how the value is written and the default in
/// recipe syntax. The generator reads these by name from either attribute.
/// </summary>
public abstract class RecipeValueAttribute : Attribute
{
    protected RecipeValueAttribute() { }

    protected RecipeValueAttribute(string name) => Name = name;

    /// <summary>The name recipes write; null = the C# name in snake_case.</summary>
    public string? Name { get; }

    /// <summary>One sentence for docs/language.md and the IDE.</summary>
    public string Doc { get; init; } = "";

    /// <summary>Smallest accepted value (numbers, and each item of a number list); NaN = the type's own limit.</summary>
    public double Min { get; init; } = double.NaN;

    /// <summary>Largest accepted value; NaN = the type's own limit.</summary>
    public double Max { get; init; } = double.NaN;

    public bool MinExclusive { get; init; }

    public bool MaxExclusive { get; init; }

    public RecipeArgKind Kind { get; init; }

    /// <summary>
    /// The default in recipe syntax (<c>"10"</c>, <c>"10%"</c>, <c>"median"</c>, <c>"cosine(warmup: 1)"</c>)
    /// where the compiler cannot read it from metadata: for an argument without a C# default (a form),
    /// and for every setting with a default (see <see cref="RecipeSettingAttribute"/>).
    /// </summary>
    public string? Default { get; init; }
}

/// <summary>
/// Describes one argument of a recipe form (a primary-constructor parameter): its recipe name when
/// it is not the parameter's name in snake_case, its range and its one-line doc. The default is the
/// parameter's C# default; <see cref="RecipeValueAttribute.Default"/> gives one in recipe syntax where C# cannot (a form).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class RecipeArgAttribute : RecipeValueAttribute
{
    public RecipeArgAttribute() { }

    public RecipeArgAttribute(string name) : base(name) { }
}

/// <summary>The recipe name and doc of an enum member an argument can take (e.g. a stem: <c>small</c>, <c>imagenet</c>).</summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class RecipeNameAttribute(string name, string doc) : Attribute
{
    public string Name { get; } = name;
    public string Doc { get; } = doc;
}

/// <summary>
/// What a data source knows before it loads anything, so the recipe compiler can check class
/// indices, few-shot sizes and probe sizes against it at build time. Leave a count at 0 when the
/// source cannot know it (an image folder counts its classes at run time).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DataSourceFactsAttribute : Attribute
{
    /// <summary>The data set's name in messages, e.g. <c>Fashion-MNIST</c>.</summary>
    public string Title { get; init; } = "";
    public int Classes { get; init; }
    public int TrainImagesPerClass { get; init; }
    public int TestImagesPerClass { get; init; }
}

/// <summary>
/// Makes an options record a section of a recipe, written <c>name { setting value ... }</c>. Its
/// properties with <see cref="RecipeSettingAttribute"/> are the section's settings, listed in the
/// order they are declared; the record is the type of one property of <see cref="ExperimentOptions"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RecipeSectionAttribute(string name, string doc) : Attribute
{
    /// <summary>The name recipes write (lower snake_case).</summary>
    public string Name { get; } = name;

    /// <summary>One sentence for docs/language.md.</summary>
    public string Doc { get; } = doc;

    /// <summary>Where the section is listed among the sections (docs, the sections an unknown one is told of); lowest first.</summary>
    public int Order { get; init; }
}

/// <summary>
/// Makes an init-only property a setting of its section (or of the built-in form whose record holds
/// it: the <c>upstream</c> pretraining of <see cref="PretrainOptions"/>): its recipe name when it is
/// not the property's name in snake_case, its range, its one-line doc and its default.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class RecipeSettingAttribute : RecipeValueAttribute
{
    // Default (on the base) is the property's initial value written again: an initialiser is compiled
    // into the constructor, not into metadata, so the recipe compiler cannot read it from this
    // assembly. A test compiles a recipe that sets nothing optional and compares every setting with
    // the record's initial value. Null for a setting without a default: a `required` property, or
    // one with DefaultDoc.
    public RecipeSettingAttribute() { }

    public RecipeSettingAttribute(string name) : base(name) { }

    /// <summary>What the docs say in place of a default for a setting that has none and is not always required.</summary>
    public string? DefaultDoc { get; init; }

    /// <summary>
    /// A resource of the process that runs the recipe (device, threads, workers, folders), not a choice
    /// of the experiment: one value for every variant, so a variant or a sweep may not set it (MD0170).
    /// </summary>
    public bool PerProcess { get; init; }

    /// <summary>
    /// The id of a choice the recipe language defines itself (<c>pretrain</c>, <c>teacher_weights</c>,
    /// <c>student_weights</c>, <c>protocol</c>, <c>cross_check</c>), for a property whose forms the
    /// runtime's own code tells apart rather than the records' overrides, so no project adds one.
    /// Null = the property's type says what the setting takes.
    /// </summary>
    public string? Choice { get; init; }
}
