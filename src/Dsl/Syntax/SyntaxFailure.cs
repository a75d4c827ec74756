using System.Collections.Generic;
using Sprache;

namespace MiDistill.Dsl.Syntax;

/// <summary>
/// The remainder of a parse that failed with its own message (a bound that overflows, nesting past
/// the limit) rather than "unexpected X; expected Y". It stands for the input after the offending
/// token and equals no other input, so every Sprache combinator sees a failure that consumed input
/// and commits to it (XOr, XManySinglePass and XOptional return it; Named keeps it; an Or's other
/// branches fail earlier and lose to it). The parser turns it into a diagnostic at <see cref="Span"/>.
/// </summary>
internal sealed class SyntaxFailure : IInput
{
    private readonly IInput _end;

    public SyntaxFailure(IInput end, SourceSpan span, string message)
    {
        _end = end;
        Span = span;
        Message = message;
    }

    /// <summary>The offending text.</summary>
    public SourceSpan Span { get; }

    /// <summary>The whole message, e.g. "the range bound `99999999999999999999` is ...".</summary>
    public string Message { get; }

    public IInput Advance() => _end.Advance();
    public string Source => _end.Source;
    public char Current => _end.Current;
    public bool AtEnd => _end.AtEnd;
    public int Position => _end.Position;
    public int Line => _end.Line;
    public int Column => _end.Column;
    public IDictionary<object, object> Memos => _end.Memos;

    public bool Equals(IInput? other) => ReferenceEquals(this, other);
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>A parser that fails with <paramref name="message"/> at <paramref name="span"/>, wherever it runs.</summary>
    public static Parser<T> Fail<T>(SourceSpan span, string message) =>
        input => Result.Failure<T>(new SyntaxFailure(input, span, message), message, System.Array.Empty<string>());
}
