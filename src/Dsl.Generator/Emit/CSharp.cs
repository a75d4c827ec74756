using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Semantics;

namespace MiDistill.Dsl.Generator.Emit;

/// <summary>C# literals and names, culture-invariant.</summary>
internal static class CSharp
{
    public static string String(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (IsUnsafe(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    public static string Double(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) < 0 ? text + "d" : text;
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    // The derivations live in the checker's assembly, which checks them for collisions.
    public static string Pascal(string name) => ClrNames.Pascal(name);

    public static string RecipeClass(string recipe) => ClrNames.RecipeClass(recipe);

    public static string Identifier(string name) => ClrNames.Identifier(name);

    /// <summary>Text for a <c>//</c> or <c>///</c> comment: one line (every character C# ends a line at
    /// is escaped) and XML-safe, so a file name can never end the comment or break the doc XML.</summary>
    public static string Comment(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                default:
                    if (IsUnsafe(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    // C# ends a line at \r, \n, U+0085, U+2028 and U+2029 (the last two are not control characters);
    // format characters and lone surrogates are invisible or unencodable, so they are escaped too.
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) ||
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned;
}
