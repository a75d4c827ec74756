namespace MiDistill.Dsl.Syntax;

/// <summary>
/// A region of recipe text. Offsets are 0-based; Line and Column are 1-based, as Sprache and
/// humans count (the Roslyn boundary converts to 0-based LinePosition).
/// </summary>
public sealed record SourceSpan(int Start, int Length, int Line, int Column, int EndLine, int EndColumn)
{
    public static readonly SourceSpan None = new(0, 0, 1, 1, 1, 1);

    public int End => Start + Length;

    /// <summary>The smallest span covering both.</summary>
    public SourceSpan To(SourceSpan end) =>
        new(Start, end.End - Start, Line, Column, end.EndLine, end.EndColumn);

    public override string ToString() => $"({Line},{Column})";
}
