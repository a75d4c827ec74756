using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using Microsoft.CodeAnalysis;

namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>
/// Reads recipe form declarations (records with <c>[RecipeForm]</c>, their constructor parameters
/// with <c>[RecipeArg]</c>, the abstract record with <c>[RecipeChoice]</c> they derive from, and the
/// enums their arguments take) from symbols, and turns them at once into plain
/// <see cref="FormDecl"/> data: no symbol leaves this class.
/// </summary>
internal static class FormReader
{
    internal const string Namespace = "MiDistill.Runtime.Options.";
    public const string FormAttribute = Namespace + "RecipeFormAttribute";
    private const string ChoiceAttribute = Namespace + "RecipeChoiceAttribute";
    private const string ArgAttribute = Namespace + "RecipeArgAttribute";
    internal const string NameAttribute = Namespace + "RecipeNameAttribute";
    private const string FactsAttribute = Namespace + "DataSourceFactsAttribute";
    internal const string RuntimeAssembly = "MiDistill.Runtime";

    /// <summary>Every form declared in the runtime and in the other assemblies the project references that reference it.</summary>
    public static EquatableArray<FormReading> FromReferences(Compilation compilation, CancellationToken ct)
    {
        var readings = new List<FormReading>();
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            ct.ThrowIfCancellationRequested();
            bool declares = assembly.Identity.Name == RuntimeAssembly
                || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == RuntimeAssembly));
            if (!declares) continue;
            foreach (var type in Types(assembly.GlobalNamespace))
                if (type.DeclaredAccessibility == Accessibility.Public && HasAttribute(type, FormAttribute))
                    readings.Add(Read(type, site: null));
        }
        // Metadata order is not declaration order; the schema lists forms by name anyway.
        return readings.OrderBy(r => r.Form?.ClrType ?? r.ClrType, StringComparer.Ordinal).ToEquatableArray();
    }

    /// <summary>One form declared in the project's own source; <paramref name="site"/> is where problems are reported.</summary>
    public static FormReading FromSource(INamedTypeSymbol type, DeclarationSite? site) => Read(type, site);

    internal static IEnumerable<INamedTypeSymbol> Types(INamespaceSymbol ns)
    {
        foreach (var type in ns.GetTypeMembers())
            foreach (var t in WithNested(type)) yield return t;
        foreach (var inner in ns.GetNamespaceMembers())
            foreach (var t in Types(inner)) yield return t;
    }

    private static IEnumerable<INamedTypeSymbol> WithNested(INamedTypeSymbol type)
    {
        yield return type;
        foreach (var nested in type.GetTypeMembers())
            foreach (var t in WithNested(nested)) yield return t;
    }

    private static FormReading Read(INamedTypeSymbol type, DeclarationSite? site)
    {
        var clrType = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var problems = new List<string>();
        var enums = new List<EnumDecl>();
        FormReading Failed() => new(clrType, null, null, enums.ToEquatableArray(), problems.ToEquatableArray(), site);

        var form = Attribute(type, FormAttribute)!;
        var name = form.ConstructorArguments.Length > 0 ? form.ConstructorArguments[0].Value as string ?? "" : "";
        var doc = form.ConstructorArguments.Length > 1 ? form.ConstructorArguments[1].Value as string ?? "" : "";
        if (type.IsAbstract || type.IsGenericType)
        {
            problems.Add($"`{name}` is declared on {(type.IsAbstract ? "an abstract" : "a generic")} type; a form must be a concrete, non-generic record");
            return Failed();
        }
        var choiceType = ChoiceOf(type);
        if (choiceType is null)
        {
            problems.Add($"`{name}` ({type.Name}) derives from no recipe choice; derive it from one of the runtime's choice records, e.g. StudentOptions or DistillLossOptions");
            return Failed();
        }
        var choiceId = Attribute(choiceType, ChoiceAttribute)!.ConstructorArguments[0].Value as string ?? "";
        var choice = new ChoiceDecl(choiceId, choiceType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));

        // The record's primary constructor: the public one with the most parameters, not the copy constructor.
        var constructor = type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .Where(c => !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, type)))
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
        if (constructor is null)
        {
            problems.Add($"`{name}` ({type.Name}) has no public constructor");
            return Failed();
        }

        var arguments = new List<ArgDecl>();
        foreach (var parameter in constructor.Parameters)
        {
            var argument = ReadArgument(parameter, enums, out var why);
            if (argument is null) problems.Add($"`{name}` argument `{parameter.Name}`: {why}");
            else arguments.Add(argument);
        }
        if (problems.Count > 0) return Failed();

        var facts = Attribute(type, FactsAttribute) is { } f
            ? new DataFacts(Named<string>(f, "Title") ?? "", Named<int>(f, "Classes"), Named<int>(f, "TrainImagesPerClass"), Named<int>(f, "TestImagesPerClass"))
            : null;
        return new FormReading(clrType, new FormDecl(choiceId, name, doc, clrType, arguments.ToEquatableArray(), facts), choice,
            enums.ToEquatableArray(), EquatableArray<string>.Empty, site);
    }

    private static ArgDecl? ReadArgument(IParameterSymbol parameter, List<EnumDecl> enums, out string why)
    {
        var attr = Attribute(parameter, ArgAttribute);
        var argument = ReadValue(parameter.Name, parameter.Type, attr, enums, out why);
        if (argument is not null && argument.Default is null && parameter.HasExplicitDefaultValue)
            argument = argument with { Default = DefaultText(parameter.ExplicitDefaultValue, parameter.Type, enums) };
        return argument;
    }

    /// <summary>
    /// A value a recipe writes for a C# parameter or property: its name (the attribute's, else
    /// <paramref name="clrName"/> in snake_case), how it is written (from <paramref name="type"/> and the
    /// attribute's Kind, or as the forms of <paramref name="choice"/> when the language defines the
    /// choice), range, doc and the attribute's recipe-syntax default. Null, with the reason, when a
    /// recipe cannot write the type.
    /// </summary>
    internal static ArgDecl? ReadValue(string clrName, ITypeSymbol type, AttributeData? attr, List<EnumDecl> enums, out string why, string? choice = null)
    {
        why = "";
        string name = attr is { ConstructorArguments.Length: > 0 } && attr.ConstructorArguments[0].Value is string n ? n : SnakeCase(clrName);
        string doc = attr is null ? "" : Named<string>(attr, "Doc") ?? "";
        double min = attr is null ? double.NaN : Named(attr, "Min", double.NaN);
        double max = attr is null ? double.NaN : Named(attr, "Max", double.NaN);
        bool minExclusive = attr is not null && Named<bool>(attr, "MinExclusive");
        bool maxExclusive = attr is not null && Named<bool>(attr, "MaxExclusive");
        string? @default = attr is null ? null : Named<string>(attr, "Default");
        int kind = attr is null ? 0 : Named<int>(attr, "Kind");  // RecipeArgKind: 0 value, 1 fraction, 2 classes

        ArgKind argKind;
        string reference;
        if (choice is not null)
            (argKind, reference) = (ArgKind.Form, choice);
        else if (ValueKind(type, kind, enums) is { } single)
            (argKind, reference) = single;
        else if (ElementOf(type) is { } element)
        {
            var item = ValueKind(element, kind == 2 ? 0 : kind, enums);
            ArgKind? list = item?.Kind switch
            {
                ArgKind.Int => kind == 2 ? ArgKind.ClassList : ArgKind.IntList,
                ArgKind.Float => ArgKind.NumberList,
                ArgKind.Enum => ArgKind.EnumList,
                ArgKind.Form => ArgKind.FormList,
                _ => null,
            };
            if (list is null)
            {
                why = $"a list of {element.ToDisplayString()} cannot be written in a recipe; use int, double, an enum or a recipe choice";
                return null;
            }
            (argKind, reference) = (list.Value, item!.Value.Ref);
        }
        else
        {
            why = $"type {type.ToDisplayString()} cannot be written in a recipe; use int, double, bool, string, an enum, a recipe choice (e.g. StudentOptions) or IReadOnlyList<> of those";
            return null;
        }
        if ((kind == 1 && argKind != ArgKind.Fraction) || (kind == 2 && argKind != ArgKind.ClassList))
        {
            why = kind == 1 ? "Kind = Fraction needs a double" : "Kind = Classes needs IReadOnlyList<int>";
            return null;
        }
        return new ArgDecl(name, clrName, argKind, reference, min, max, minExclusive, maxExclusive, @default, doc);
    }

    /// <summary>How one value of <paramref name="type"/> is written: its kind and the enum or choice it names; null when a recipe cannot write it.</summary>
    private static (ArgKind Kind, string Ref)? ValueKind(ITypeSymbol type, int kind, List<EnumDecl> enums)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Int32: return (ArgKind.Int, "");
            case SpecialType.System_Double: return (kind == 1 ? ArgKind.Fraction : ArgKind.Float, "");
            case SpecialType.System_Boolean: return (ArgKind.Bool, "");
            case SpecialType.System_String: return (ArgKind.String, "");
        }
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
            return (ArgKind.Enum, AddEnum(enumType, enums));
        if (type is INamedTypeSymbol named && ChoiceOf(named, includeSelf: true) is { } choice && SymbolEqualityComparer.Default.Equals(choice, named))
            return (ArgKind.Form, Attribute(choice, ChoiceAttribute)!.ConstructorArguments[0].Value as string ?? "");
        return null;
    }

    // The C# default written as recipe text; null (a reference type's `= null`) is no default.
    private static string? DefaultText(object? value, ITypeSymbol type, List<EnumDecl> enums) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ when type.TypeKind == TypeKind.Enum => EnumMemberName((INamedTypeSymbol)type, value, enums),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string? EnumMemberName(INamedTypeSymbol type, object value, List<EnumDecl> enums)
    {
        var field = type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
        if (field is null) return null;
        var clr = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return enums.First(e => e.ClrType == clr).Members.First(m => m.ClrMember == field.Name).Name;
    }

    internal static string AddEnum(INamedTypeSymbol type, List<EnumDecl> enums)
    {
        var clr = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        if (enums.All(e => e.ClrType != clr))
        {
            var members = type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f =>
            {
                var attr = Attribute(f, NameAttribute);
                var name = attr is { ConstructorArguments.Length: 2 } ? attr.ConstructorArguments[0].Value as string ?? SnakeCase(f.Name) : SnakeCase(f.Name);
                var doc = attr is { ConstructorArguments.Length: 2 } ? attr.ConstructorArguments[1].Value as string ?? "" : "";
                return new EnumMemberDecl(name, f.Name, doc);
            });
            enums.Add(new EnumDecl(clr, members.ToEquatableArray()));
        }
        return clr;
    }

    /// <summary>The nearest type (this one or a base) marked <c>[RecipeChoice]</c>.</summary>
    private static INamedTypeSymbol? ChoiceOf(INamedTypeSymbol type, bool includeSelf = false)
    {
        for (var t = includeSelf ? type : type.BaseType; t is not null; t = t.BaseType)
            if (HasAttribute(t, ChoiceAttribute)) return t;
        return null;
    }

    private static ITypeSymbol? ElementOf(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array) return array.ElementType;
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
        {
            var definition = generic.ConstructedFrom.ToDisplayString();
            if (definition is "System.Collections.Generic.IReadOnlyList<T>" or "System.Collections.Generic.IEnumerable<T>" or "System.Collections.Generic.IReadOnlyCollection<T>")
                return generic.TypeArguments[0];
        }
        return null;
    }

    internal static bool HasAttribute(ISymbol symbol, string name) => Attribute(symbol, name) is not null;

    internal static AttributeData? Attribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == name);

    internal static T? Named<T>(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is T value ? value : default;

    private static double Named(AttributeData attribute, string name, double fallback) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is double value ? value : fallback;

    /// <summary>PascalCase to snake_case: <c>WeightDecay</c> -> <c>weight_decay</c>, <c>Beta1</c> -> <c>beta1</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>Where a declaration is in the user's C#, as data (no Location in a pipeline model).</summary>
internal sealed record DeclarationSite(string Path, int Start, int Length, int StartLine, int StartCharacter, int EndLine, int EndCharacter);

/// <summary>One record read: its form (null when it cannot be used), its choice, the enums it uses, and what is wrong with it.</summary>
internal sealed record FormReading(string ClrType, FormDecl? Form, ChoiceDecl? Choice, EquatableArray<EnumDecl> Enums, EquatableArray<string> Problems, DeclarationSite? Site);

/// <summary>The project's catalog and the declaration problems to report (at their sites).</summary>
internal sealed record CatalogReading(FormCatalog Catalog, EquatableArray<FormProblem> Problems)
{
    public static CatalogReading Merge(EquatableArray<FormReading> referenced, IEnumerable<FormReading> declared, SectionReading sections)
    {
        var all = referenced.Concat(declared).ToList();
        var choices = all.Where(r => r.Choice is not null).Select(r => r.Choice!).Distinct().ToList();
        // Choices are declared by abstract records; one with no form yet still exists (a user may add the first).
        var catalog = new FormCatalog(
            choices.OrderBy(c => c.Id, StringComparer.Ordinal).ToEquatableArray(),
            all.Where(r => r.Form is not null).Select(r => r.Form!).ToEquatableArray(),
            all.SelectMany(r => r.Enums).Concat(sections.Enums).Distinct().ToEquatableArray(),
            sections.Sections,
            sections.SettingRecords);
        var sites = all.GroupBy(r => r.ClrType).ToDictionary(g => g.Key, g => g.First().Site);
        var problems = all.SelectMany(r => r.Problems.Select(p => new FormProblem(r.ClrType.Replace("global::", ""), p, r.Site)))
            .Concat(sections.Problems.Select(p => new FormProblem(p.ClrType.Replace("global::", ""), p.Message, null)))
            .ToList();
        try
        {
            problems.AddRange(RecipeSchema.Create(catalog).Problems.Select(p =>
                new FormProblem(p.ClrType.Replace("global::", ""), p.Message, sites.TryGetValue(p.ClrType, out var site) ? site : null)));
        }
        catch (Exception e)
        {
            problems.Add(new FormProblem("", e.Message, null));
        }
        return new CatalogReading(catalog, problems.ToEquatableArray());
    }
}

internal sealed record FormProblem(string Type, string Message, DeclarationSite? Site);
