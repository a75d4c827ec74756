using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Dsl.Ast;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;
using MiDistill.LanguageServer.Analysis;
using MiDistill.LanguageServer.Protocol;
using MiDistill.LanguageServer.Workspace;

namespace MiDistill.LanguageServer.Features;

/// <summary>Hover and go-to-definition: what the word under the cursor is, from its slot.</summary>
internal static class Navigation
{
    public static Hover? HoverAt(RecipeDocument document, RecipeFileNode? lastTree, ProjectSchema project, int offset)
    {
        var token = TokenAt(document.Tokens, offset);
        if (token is null) return null;
        var t = token.Value;
        var schema = project.Schema;
        var context = new CursorContext(schema, document.Tree ?? lastTree);
        var slot = context.At(document.Tokens, t.Start);
        string? text = null;
        switch (slot.Kind)
        {
            case SlotKind.SectionName:
                text = schema.FindSection(t.Text) is { } section ? SchemaText.Section(section)
                    : t.Text == RecipeSchema.VariantsKeyword ? "**`variants`**: named variants of the recipe; each overrides settings with `section.setting = value`.\n"
                    : t.Text == RecipeSchema.SweepKeyword ? "**`sweep`**: grids over settings (`section.setting [values]`), crossed with each other and with the variants.\n" : null;
                break;
            case SlotKind.SettingName:
                if (slot.Section is not null && schema.FindSection(slot.Section)?.Find(t.Text) is { } setting)
                    text = SchemaText.Setting(slot.Section + "." + t.Text, setting);
                break;
            case SlotKind.ArgumentName:
                if (slot.Form?.Find(t.Text) is { } argument)
                    text = SchemaText.Setting(slot.Form.Name + "(" + t.Text + ")", argument);
                break;
            case SlotKind.OverridePath:
            case SlotKind.SweepPath:
                var path = (slot.Path ?? System.Array.Empty<string>()).Append(t.Text).ToList();
                if (path.Count == 1) text = schema.FindSection(t.Text) is { } s ? SchemaText.Section(s) : null;
                else if (context.ResolvePath(path, out _) is { } target) text = SchemaText.Setting(string.Join(".", path), target);
                break;
            case SlotKind.Value:
                text = ValueText(slot, t);
                break;
        }
        return text is null ? null : new Hover(MarkupContent.Markdown(text), document.Lines.RangeOf(t.Start, t.Length));
    }

    private static string? ValueText(Slot slot, Token t)
    {
        if (t.Kind == TokenKind.Name)
        {
            var choice = slot.Type switch { ChoiceType c => c, FormListType l => l.Item, _ => null };
            if (choice?.Find(t.Text) is { } form) return SchemaText.Form(choice.Name, form);
            if (slot.Type is NameListType names && names.Members.FirstOrDefault(m => m.Name == t.Text) is { } member)
                return "**`" + member.Name + "`**: " + member.Doc + "\n";
            return null;
        }
        if (t.Kind == TokenKind.Number && t.Text.Contains("..", System.StringComparison.Ordinal))
        {
            var parts = t.Text.Split("..");
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var from)
                && long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var to))
            {
                long count = to >= from ? to - from + 1 : 0;
                var shown = count == 0 ? "none" : string.Join(", ", Enumerable.Range(0, (int)System.Math.Min(count, 20)).Select(i => (from + i).ToString(CultureInfo.InvariantCulture)));
                return $"**`{t.Text}`**: the range {from}..{to} (both ends included), {count} member{(count == 1 ? "" : "s")}: {shown}{(count > 20 ? ", ..." : "")}\n";
            }
        }
        if (slot.Owner is { } owner && slot.Path is { Count: >= 2 } path)
            return SchemaText.Setting(string.Join(".", path), owner);
        return null;
    }

    public static Location? DefinitionAt(RecipeDocument document, RecipeFileNode? lastTree, ProjectSchema project, int offset)
    {
        var token = TokenAt(document.Tokens, offset);
        if (token is null) return null;
        var t = token.Value;
        var context = new CursorContext(project.Schema, document.Tree ?? lastTree);
        var slot = context.At(document.Tokens, t.Start);
        var tree = document.Tree;
        switch (slot.Kind)
        {
            case SlotKind.Value when t.Kind == TokenKind.Name:
                var choice = slot.Type switch { ChoiceType c => c, FormListType l => l.Item, _ => null };
                if (choice?.Find(t.Text) is { } form && project.FormSites.TryGetValue(form.ClrType, out var site))
                    return new Location(RecipeDocument.UriOf(site.Path), new Range(new Position(site.StartLine, site.StartCharacter), new Position(site.EndLine, site.EndCharacter)));
                if (slot.Path is { Count: 1 } p && p[0] == "variants" && Variant(tree, offset, t.Text) is { } listed)
                    return At(document, listed.Name.Span);
                return null;
            case SlotKind.Value when t.Kind == TokenKind.String && slot.Path is { Count: 2 } r && r[0] == "evaluate" && r[1] == "reference":
                return Variant(tree, offset, t.Text.Trim('"')) is { } variant ? At(document, variant.Name.Span) : null;
            case SlotKind.OverridePath:
            case SlotKind.SweepPath:
                var path = (slot.Path ?? System.Array.Empty<string>()).Append(t.Text).ToList();
                return BaseSetting(tree, offset, path) is { } span ? At(document, span) : null;
        }
        return null;
    }

    private static Location At(RecipeDocument document, SourceSpan span) => new(document.Uri, document.Lines.RangeOf(span.Start, span.Length));

    private static RecipeNode? RecipeAt(RecipeFileNode? tree, int offset) =>
        tree?.Recipes.FirstOrDefault(r => r.Span.Start <= offset && offset <= r.Span.End);

    private static VariantNode? Variant(RecipeFileNode? tree, int offset, string name) =>
        RecipeAt(tree, offset)?.VariantBlocks.SelectMany(b => b.Variants).FirstOrDefault(v => v.Name.Text == name);

    // The setting (or argument) of the recipe's base that an override path or grid path changes.
    private static SourceSpan? BaseSetting(RecipeFileNode? tree, int offset, IReadOnlyList<string> path)
    {
        var recipe = RecipeAt(tree, offset);
        if (recipe is null || path.Count == 0) return null;
        var section = recipe.Sections.FirstOrDefault(s => s.Name.Text == path[0]);
        if (section is null) return null;
        if (path.Count == 1) return section.Name.Span;
        var setting = section.Settings.FirstOrDefault(s => s.Name.Text == path[1]);
        if (setting is null) return null;
        SourceSpan span = setting.Name.Span;
        ValueNode value = setting.Value;
        for (int i = 2; i < path.Count; i++)
        {
            var argument = (value as CallNode)?.Arguments.FirstOrDefault(a => a.Name.Text == path[i]);
            if (argument is null) return value.Span;
            span = argument.Name.Span;
            value = argument.Value;
        }
        return span;
    }

    private static Token? TokenAt(IReadOnlyList<Token> tokens, int offset)
    {
        foreach (var token in tokens)
            if (token.Start <= offset && offset <= token.End && token.Kind is TokenKind.Name or TokenKind.Number or TokenKind.String)
                return token;
        return null;
    }
}
