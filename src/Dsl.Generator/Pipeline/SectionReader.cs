using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using Microsoft.CodeAnalysis;

namespace MiDistill.Dsl.Generator.Pipeline;

/// <summary>
/// Reads the recipe sections from MiDistill.Runtime: records with <c>[RecipeSection]</c>, their
/// properties with <c>[RecipeSetting]</c> (in declaration order), the other records whose properties
/// are settings (PretrainOptions, the arguments of the language's `upstream` form), and the enums
/// whose members carry recipe names. Turned at once into plain <see cref="SectionDecl"/> data, as
/// <see cref="FormReader"/> does with forms: no symbol leaves this class. Only the runtime declares
/// sections, because each one is a property of its ExperimentOptions.
/// </summary>
internal static class SectionReader
{
    private const string SectionAttribute = FormReader.Namespace + "RecipeSectionAttribute";
    private const string SettingAttribute = FormReader.Namespace + "RecipeSettingAttribute";
    private const string Experiment = FormReader.Namespace + "ExperimentOptions";

    public static SectionReading FromRuntime(Compilation compilation, CancellationToken ct)
    {
        var runtime = compilation.SourceModule.ReferencedAssemblySymbols.FirstOrDefault(a => a.Identity.Name == FormReader.RuntimeAssembly);
        if (runtime is null) return SectionReading.Empty;
        var experiment = runtime.GetTypeByMetadataName(Experiment);

        var sections = new List<SectionDecl>();
        var records = new List<SettingsDecl>();
        var enums = new List<EnumDecl>();
        var problems = new List<CatalogProblem>();
        foreach (var type in FormReader.Types(runtime.GlobalNamespace))
        {
            ct.ThrowIfCancellationRequested();
            if (type.DeclaredAccessibility != Accessibility.Public) continue;
            if (type.TypeKind == TypeKind.Enum)
            {
                // Every named enum, also one no setting takes itself (a built-in form's argument: Normalization).
                if (type.GetMembers().OfType<IFieldSymbol>().Any(f => FormReader.HasAttribute(f, FormReader.NameAttribute)))
                    FormReader.AddEnum(type, enums);
                continue;
            }
            var section = FormReader.Attribute(type, SectionAttribute);
            // Metadata keeps the properties in declaration order, which is the settings' order.
            var properties = type.GetMembers().OfType<IPropertySymbol>().Where(p => FormReader.HasAttribute(p, SettingAttribute)).ToList();
            if (section is null && properties.Count == 0) continue;

            var clrType = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            var name = section?.ConstructorArguments.Length > 0 ? section.ConstructorArguments[0].Value as string ?? "" : "";
            var label = section is null ? type.Name : name;
            var settings = new List<ArgDecl>();
            foreach (var property in properties)
            {
                var setting = ReadSetting(property, enums, out var why);
                if (setting is null) problems.Add(new CatalogProblem(clrType, $"setting {property.Name} of `{label}`: {why}"));
                else settings.Add(setting);
            }
            if (section is null)
            {
                records.Add(new SettingsDecl(clrType, settings.ToEquatableArray()));
                continue;
            }
            var holder = experiment?.GetMembers().OfType<IPropertySymbol>().FirstOrDefault(p => SymbolEqualityComparer.Default.Equals(p.Type, type));
            if (holder is null)
            {
                problems.Add(new CatalogProblem(clrType, $"the section `{name}` ({type.Name}) is not the type of a property of ExperimentOptions, so no recipe can set it"));
                continue;
            }
            var doc = section.ConstructorArguments.Length > 1 ? section.ConstructorArguments[1].Value as string ?? "" : "";
            sections.Add(new SectionDecl(name, doc, FormReader.Named<int>(section, "Order"), clrType, holder.Name, settings.ToEquatableArray()));
        }
        return new SectionReading(
            sections.OrderBy(s => s.Order).ThenBy(s => s.Name, StringComparer.Ordinal).ToEquatableArray(),
            records.OrderBy(r => r.ClrType, StringComparer.Ordinal).ToEquatableArray(),
            enums.OrderBy(e => e.ClrType, StringComparer.Ordinal).ToEquatableArray(),
            problems.ToEquatableArray());
    }

    private static ArgDecl? ReadSetting(IPropertySymbol property, List<EnumDecl> enums, out string why)
    {
        var attr = FormReader.Attribute(property, SettingAttribute)!;
        if (property.IsStatic || property.DeclaredAccessibility != Accessibility.Public || property.SetMethod is not { DeclaredAccessibility: Accessibility.Public })
        {
            why = "a setting is a public instance property with a public init (or set) accessor, which the generated code assigns";
            return null;
        }
        // A setting whose choice the language defines takes that choice's forms, whatever the property's type.
        var setting = FormReader.ReadValue(property.Name, property.Type, attr, enums, out why, FormReader.Named<string>(attr, "Choice"));
        if (setting is null) return null;
        setting = setting with { DefaultDoc = FormReader.Named<string>(attr, "DefaultDoc"), PerProcess = FormReader.Named<bool>(attr, "PerProcess") };

        // The initial value is in the constructor's code, not in metadata: the attribute must carry it.
        if (property.IsRequired && (setting.Default is not null || setting.DefaultDoc is not null))
        {
            why = "a required property has no default; remove Default and DefaultDoc, or `required`";
            return null;
        }
        if (!property.IsRequired && setting.Default is null && setting.DefaultDoc is null)
        {
            why = "give its initial value in recipe syntax as Default (an initialiser is not in metadata, so the recipe compiler cannot read it), or make the property `required`";
            return null;
        }
        return setting;
    }
}

/// <summary>The sections the runtime declares, the other records holding settings, the named enums, and what is wrong with them.</summary>
internal sealed record SectionReading(EquatableArray<SectionDecl> Sections, EquatableArray<SettingsDecl> SettingRecords, EquatableArray<EnumDecl> Enums, EquatableArray<CatalogProblem> Problems)
{
    public static SectionReading Empty { get; } = new(EquatableArray<SectionDecl>.Empty, EquatableArray<SettingsDecl>.Empty, EquatableArray<EnumDecl>.Empty, EquatableArray<CatalogProblem>.Empty);
}
