namespace MiDistill.Dsl.Diagnostics;

public enum DiagnosticSeverity { Warning, Error }

/// <summary>
/// One kind of recipe diagnostic. Ids come in ranges: MD0001-0099 syntax, MD0100-0199 semantic
/// errors, MD0200-0299 warnings, MD0900-0999 generator-internal. <see cref="HelpAnchor"/> names the
/// section of docs/language.md that explains the rule.
/// </summary>
public sealed record DiagnosticDescriptor(string Id, string Title, string MessageFormat, DiagnosticSeverity Severity, string HelpAnchor)
{
    public const string HelpBase = "https://github.com/midistill/midistill/blob/main/docs/language.md#";
    public string HelpLink => HelpBase + HelpAnchor;
}
