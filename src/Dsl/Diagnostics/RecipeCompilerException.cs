using System;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Diagnostics;

/// <summary>
/// A bug in the compiler, caught where the recipe text it was working on is known: the generator
/// reports it as MD0900 at <see cref="Span"/> instead of at the top of the file.
/// </summary>
public sealed class RecipeCompilerException : Exception
{
    public RecipeCompilerException(SourceSpan span, string message, Exception? inner = null) : base(message, inner) => Span = span;

    public SourceSpan Span { get; }

    /// <summary>Wraps <paramref name="inner"/>, unless it already knows its place.</summary>
    public static RecipeCompilerException At(SourceSpan span, Exception inner) =>
        inner as RecipeCompilerException ?? new RecipeCompilerException(span, inner.GetType().Name + ": " + inner.Message, inner);
}
