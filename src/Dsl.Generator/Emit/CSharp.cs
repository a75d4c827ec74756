using System.Globalization;
using System.Linq;
using System.Text;

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
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
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

    /// <summary>snake_case or kebab to PascalCase; a leading digit gets an underscore.</summary>
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

    public static string RecipeClass(string recipe) => Pascal(recipe) + "Recipe";

    public static string Identifier(string name) =>
        new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
}
