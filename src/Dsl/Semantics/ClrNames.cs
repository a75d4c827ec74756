using System.Linq;
using System.Text;

namespace MiDistill.Dsl.Semantics;

/// <summary>
/// The C# names the generator derives from recipe names. They live here, beside the checker, so the
/// checks that keep them unique (<see cref="NameChecks"/>) and the emitter use one derivation.
/// </summary>
public static class ClrNames
{
    /// <summary>snake_case or kebab to PascalCase; a leading digit (or nothing left) gets an underscore.</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder();
        bool upper = true;
        foreach (var c in name)
        {
            if (c == '_' || c == '-') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        var result = sb.ToString();
        return result.Length == 0 || char.IsDigit(result[0]) ? "_" + result : result;
    }

    /// <summary>The recipe's class; its hint name (file name) is this plus <c>.g.cs</c>.</summary>
    public static string RecipeClass(string recipe) => Pascal(recipe) + "Recipe";

    /// <summary>How recipe classes are told apart: as their hint names are, which Roslyn compares ignoring case.</summary>
    public static readonly System.StringComparer ClassComparer = System.StringComparer.OrdinalIgnoreCase;

    /// <summary>The class that holds every variant of a recipe as a static property.</summary>
    public const string VariantsClass = "Settings";

    /// <summary>The partial class whose constants hold each recipe's source text, one member per recipe.</summary>
    public const string SourcesClass = "RecipeSources";

    /// <summary>The property of a variant in <see cref="VariantsClass"/>.</summary>
    public static string VariantProperty(string variant) => Pascal(variant);

    /// <summary>Any text as an identifier: letters and digits kept, everything else <c>_</c>.</summary>
    public static string Identifier(string name) =>
        new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>The member of <see cref="SourcesClass"/> holding a recipe's text: the recipe's name as
    /// written, so a keyword (`class`, `default`) becomes a verbatim identifier (<c>@class</c>).</summary>
    public static string SourcesMember(string recipe)
    {
        var name = Identifier(recipe);
        return System.Array.IndexOf(Keywords, name) >= 0 ? "@" + name : name;
    }

    /// <summary>C#'s reserved keywords (contextual ones are fine as member names), including Roslyn's undocumented four.</summary>
    public static readonly string[] Keywords =
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof",
        "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong",
        "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
        "__arglist", "__makeref", "__reftype", "__refvalue",
    };

    /// <summary>Members every class inherits from <c>object</c>: a member of that name would hide one (CS0108).</summary>
    public static readonly string[] ObjectMembers = { "Equals", "Finalize", "GetHashCode", "GetType", "MemberwiseClone", "ReferenceEquals", "ToString" };
}
