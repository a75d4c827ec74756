using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace MiDistill.Runtime.Reporting.Report;

/// <summary>
/// Settings as (dotted path, value) pairs, for showing what differs: <c>finetune.objective.kind = "SamObjective"</c>,
/// <c>data.classes = [5,6,7,8,9]</c>. Arrays of numbers and strings stay one value (a list of classes reads as one setting).
/// </summary>
public static class SettingsFlattener
{
    public static IReadOnlyDictionary<string, string> Flatten(JsonElement element)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(element, "", leaves);
        return leaves;
    }

    public static IReadOnlyDictionary<string, string> Flatten(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Flatten(document.RootElement);
    }

    /// <summary>Paths whose values are not all equal across <paramref name="settings"/> (a missing path counts as a value), in first-seen order.</summary>
    public static IReadOnlyList<string> Differing(IReadOnlyList<IReadOnlyDictionary<string, string>> settings)
    {
        var paths = settings.SelectMany(s => s.Keys).Distinct(StringComparer.Ordinal);
        return paths.Where(p => settings.Select(s => s.TryGetValue(p, out var v) ? v : null).Distinct().Count() > 1).ToList();
    }

    private static void Walk(JsonElement element, string path, Dictionary<string, string> leaves)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                bool any = false;
                foreach (var property in element.EnumerateObject())
                {
                    any = true;
                    Walk(property.Value, path.Length == 0 ? property.Name : path + "." + property.Name, leaves);
                }
                if (!any) leaves[path] = "{}";
                break;
            case JsonValueKind.Array when element.EnumerateArray().All(e => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                leaves[path] = "[" + string.Join(", ", element.EnumerateArray().Select(e => e.GetRawText())) + "]";
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray()) Walk(item, $"{path}[{i++}]", leaves);
                if (i == 0) leaves[path] = "[]";
                break;
            default:
                leaves[path] = element.GetRawText();
                break;
        }
    }
}
