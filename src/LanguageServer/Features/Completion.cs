using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.LanguageServer.Analysis;
using MiDistill.LanguageServer.Protocol;

namespace MiDistill.LanguageServer.Features;

/// <summary>What may be written at the cursor: sections, settings, forms with argument snippets,
/// argument names, enum members, presets, override and grid paths, variant names; each with its one-line doc.</summary>
public static class Completion
{
    private const string SweepLimit = "limit", SweepVariants = "variants";

    public static List<CompletionItem> At(string text, IReadOnlyList<Token> tokens, int offset, RecipeSchema schema, RecipeFileNode? tree)
    {
        // The word being typed is replaced by the item; the slot is where that word starts.
        int start = offset;
        while (start > 0 && (char.IsLetterOrDigit(text[start - 1]) || text[start - 1] == '_')) start--;
        var inString = tokens.FirstOrDefault(t => t.Kind == TokenKind.String && t.Start < offset && offset <= t.End);
        if (inString.Length > 0) start = inString.Start;
        var context = new CursorContext(schema, tree);
        var slot = context.At(tokens, start);
        var items = new List<CompletionItem>();
        switch (slot.Kind)
        {
            case SlotKind.RecipeKeyword:
                items.Add(new CompletionItem("recipe", CompletionItemKind.Keyword, "a recipe") { InsertText = "recipe ${1:name} {\n  $0\n}", InsertTextFormat = 2 });
                break;
            case SlotKind.SectionName:
                foreach (var section in schema.Sections)
                    items.Add(new CompletionItem(section.Name, CompletionItemKind.Module, SchemaText.OneLine(section.Doc))
                    {
                        Documentation = MarkupContent.Markdown(SchemaText.Section(section)),
                        InsertText = section.Name + " {\n  $0\n}",
                        InsertTextFormat = 2,
                    });
                items.Add(new CompletionItem(RecipeSchema.VariantsKeyword, CompletionItemKind.Keyword, "named variants, each overriding settings of the recipe") { InsertText = "variants {\n  $0\n}", InsertTextFormat = 2 });
                items.Add(new CompletionItem(RecipeSchema.SweepKeyword, CompletionItemKind.Keyword, "grids over settings, crossed with each other and with the variants") { InsertText = "sweep {\n  $0\n}", InsertTextFormat = 2 });
                break;
            case SlotKind.SettingName:
                if (slot.Section is not null && schema.FindSection(slot.Section) is { } s)
                    foreach (var setting in s.Settings.Where(a => slot.Given is null || !slot.Given.Contains(a.Name)))
                        items.Add(Setting(s.Name + "." + setting.Name, setting, setting.Name + " "));
                break;
            case SlotKind.ArgumentName:
                if (slot.Form is { } form)
                    foreach (var argument in form.Arguments.Where(a => slot.Given is null || !slot.Given.Contains(a.Name)))
                        items.Add(Setting(form.Name + "(" + argument.Name + ")", argument, argument.Name + ": ") with { Kind = CompletionItemKind.Field });
                break;
            case SlotKind.Value:
                Values(slot, items, inString.Length > 0, tokens);
                break;
            case SlotKind.OverridePath:
            case SlotKind.SweepPath:
                Paths(slot, schema, context, items);
                break;
        }
        return items;
    }

    private static CompletionItem Setting(string label, Argument a, string insert) =>
        new(label.Substring(label.LastIndexOfAny(new[] { '.', '(' }) + 1).TrimEnd(')'), CompletionItemKind.Property, SchemaText.OneLine(SchemaText.Doc(a)))
        {
            Documentation = MarkupContent.Markdown(SchemaText.Setting(label, a)),
            InsertText = insert,
        };

    private static void Values(Slot slot, List<CompletionItem> items, bool inString, IReadOnlyList<Token> tokens)
    {
        // `evaluate.reference "..."` and a sweep's `variants [...]` name the recipe's variants.
        bool namesVariant = slot.Path is { Count: 2 } p && (p[0] == "evaluate" && p[1] == "reference");
        if (namesVariant || (slot.Path is { Count: 1 } q && q[0] == SweepVariants))
        {
            foreach (var variant in VariantNames(tokens))
                items.Add(new CompletionItem(variant, CompletionItemKind.Variable, "a variant of this recipe")
                {
                    InsertText = namesVariant ? "\"" + variant + "\"" : variant,
                });
            return;
        }
        if (inString) return;
        switch (slot.Type)
        {
            case ChoiceType choice:
                foreach (var form in choice.Forms) items.Add(FormItem(choice, form));
                break;
            case FormListType list:
                foreach (var form in list.Item.Forms) items.Add(FormItem(list.Item, form));
                break;
            case NameListType names:
                foreach (var member in names.Members)
                    items.Add(new CompletionItem(member.Name, CompletionItemKind.EnumMember, SchemaText.OneLine(member.Doc)) { Documentation = MarkupContent.Markdown(member.Doc) });
                break;
            case BoolType:
                items.Add(new CompletionItem("true", CompletionItemKind.Value, "yes"));
                items.Add(new CompletionItem("false", CompletionItemKind.Value, "no"));
                break;
            case StringType:
                items.Add(new CompletionItem("\"\"", CompletionItemKind.Value, "a string in double quotes") { InsertText = "\"$1\"", InsertTextFormat = 2 });
                break;
        }
        if (slot.Owner?.Default is { } @default && slot.Type is not ChoiceType and not FormListType and not BoolType)
            items.Add(new CompletionItem(@default, CompletionItemKind.Constant, "the default") { SortText = "0" });
    }

    // The names declared in `variants` blocks, from the tokens: the text being typed seldom parses.
    private static IEnumerable<string> VariantNames(IReadOnlyList<Token> tokens)
    {
        var names = new List<string>();
        int depth = 0, block = -1;
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Is('{'))
            {
                if (i > 0 && tokens[i - 1].Kind == TokenKind.Name)
                {
                    if (tokens[i - 1].Text == RecipeSchema.VariantsKeyword && block < 0) block = depth;
                    else if (block >= 0 && depth == block + 1) names.Add(tokens[i - 1].Text);
                }
                depth++;
            }
            else if (t.Is('}') && --depth == block) block = -1;
        }
        return names.Distinct();
    }

    private static CompletionItem FormItem(ChoiceType choice, Form form)
    {
        bool member = choice.Emission != ChoiceEmission.Records || form.Arguments.Count == 0;
        var item = new CompletionItem(form.Name, member ? CompletionItemKind.EnumMember : CompletionItemKind.Struct, SchemaText.OneLine(form.Doc))
        {
            Documentation = MarkupContent.Markdown(SchemaText.Form(choice.Name, form)),
        };
        if (form.Arguments.Count == 0) return item;
        // The snippet names the arguments without a default (they must be written) with a placeholder each;
        // a form whose arguments all have defaults opens its parentheses for argument completion.
        var required = form.Arguments.Where(a => a.Required).ToList();
        var snippet = new StringBuilder(form.Name).Append('(');
        if (required.Count == 0) snippet.Append("$1");
        for (int i = 0; i < required.Count; i++)
            snippet.Append(i > 0 ? ", " : "").Append(required[i].Name).Append(": ${").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(':').Append(required[i].Name).Append('}');
        snippet.Append(')');
        return item with { InsertText = snippet.ToString(), InsertTextFormat = 2 };
    }

    private static void Paths(Slot slot, RecipeSchema schema, CursorContext context, List<CompletionItem> items)
    {
        var path = slot.Path ?? System.Array.Empty<string>();
        bool sweep = slot.Kind == SlotKind.SweepPath;
        if (path.Count == 0)
        {
            foreach (var section in schema.Sections)
                items.Add(new CompletionItem(section.Name, CompletionItemKind.Module, SchemaText.OneLine(section.Doc)) { Documentation = MarkupContent.Markdown(SchemaText.Section(section)) });
            if (sweep)
            {
                items.Add(new CompletionItem(SweepLimit, CompletionItemKind.Keyword, "the most runs (variants x seeds) the sweep may make before it warns") { InsertText = SweepLimit + " " });
                items.Add(new CompletionItem(SweepVariants, CompletionItemKind.Keyword, "the variants the grids apply to") { InsertText = SweepVariants + " [$1]", InsertTextFormat = 2 });
            }
            return;
        }
        if (path.Count == 1)
        {
            if (schema.FindSection(path[0]) is not { } section) return;
            // A setting of the process (threads, device, folders) has one value for every variant (MD0170).
            foreach (var setting in section.Settings.Where(s => !s.PerProcess))
                items.Add(Setting(section.Name + "." + setting.Name, setting, setting.Name));
            return;
        }
        context.ResolvePath(path, out var type);
        if (type is not ChoiceType choice) return;
        var forms = context.FormFor(path, choice, null) is { } chosen ? new[] { chosen } : choice.Forms.ToArray();
        foreach (var argument in forms.SelectMany(f => f.Arguments).GroupBy(a => a.Name).Select(g => g.First()))
            items.Add(Setting(string.Join(".", path) + "." + argument.Name, argument, argument.Name) with { Kind = CompletionItemKind.Field });
    }
}
