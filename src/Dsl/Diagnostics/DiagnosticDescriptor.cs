namespace MiDistill.Dsl.Diagnostics;

public enum DiagnosticSeverity { Warning, Error }

/// <summary>What a diagnostic is about; its id's range says the same (MD00xx, MD01xx-02xx, MD09xx).</summary>
public enum DiagnosticCategory { Syntax, Semantics, Generator }

/// <summary>
/// One kind of recipe diagnostic. Ids come in ranges: MD0001-0099 syntax, MD0100-0199 semantic
/// errors, MD0200-0299 warnings, MD0900-0999 generator-internal. <see cref="HelpAnchor"/> names the
/// section of docs/language.md that explains the rule; <see cref="Anchor"/> is the id's own row in
/// that document's diagnostics table, where help links point.
/// </summary>
public sealed record DiagnosticDescriptor(string Id, string Title, string MessageFormat, DiagnosticSeverity Severity,
    DiagnosticCategory Category, string HelpAnchor, string Description)
{
    /// <summary>The id's anchor in docs/language.md (<c>md0113</c>).</summary>
    public string Anchor => Id.ToLowerInvariant();

    /// <summary>The help link into the language reference at <paramref name="documentUri"/>; empty without one.</summary>
    public string HelpLink(string documentUri) => documentUri.Length == 0 ? "" : documentUri + "#" + Anchor;
}
