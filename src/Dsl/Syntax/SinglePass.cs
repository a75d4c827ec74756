using System.Collections.Generic;
using System.Linq;
using Sprache;

namespace MiDistill.Dsl.Syntax;

/// <summary>
/// Sprache's <c>XMany</c> and <c>XDelimitedBy</c> with the same results, parsing each item once.
/// </summary>
/// <remarks>
/// Sprache 2.3.1 builds <c>XMany</c> as <c>Many()</c> followed by one more run of the item parser
/// at the place where <c>Many()</c> stopped, only to learn whether the item that ended the list
/// failed after consuming input. That item is therefore parsed twice, and when it holds a list whose
/// own last item fails the same way (<c>[0, [0, [0, ...</c> left open, or with a typo at the
/// bottom), every level doubles the work: 2^depth parses, seconds at depth 12 and minutes at 20.
/// Here the failure of the item that ended the loop is the answer; the parsers are pure functions of
/// their input (the nesting count is restored on the way out), so running one again at the same
/// place could only return the same result, and the diagnostics are those of Sprache's versions.
/// </remarks>
internal static class SinglePass
{
    /// <summary>Items while they parse; an item that fails after consuming input fails the whole, at its own spot.</summary>
    public static Parser<IEnumerable<T>> XManySinglePass<T>(this Parser<T> item) => input =>
    {
        var items = new List<T>();
        var rest = input;
        while (true)
        {
            var result = item(rest);
            if (!result.WasSuccessful)
            {
                // The same test as Sprache's XOr: a failure that moved (or a SyntaxFailure, which equals no input) commits.
                return result.Remainder.Equals(rest)
                    ? Result.Success<IEnumerable<T>>(items, rest)
                    : Result.Failure<IEnumerable<T>>(result.Remainder, result.Message, result.Expectations);
            }
            // An item that consumed nothing would repeat forever; Many() stops there too.
            if (rest.Equals(result.Remainder)) return Result.Success<IEnumerable<T>>(items, rest);
            items.Add(result.Value);
            rest = result.Remainder;
        }
    };

    /// <summary>One or more items between delimiters; a delimiter must be followed by an item.</summary>
    public static Parser<IEnumerable<T>> XDelimitedBySinglePass<T, U>(this Parser<T> item, Parser<U> delimiter) =>
        from head in item.Once()
        from tail in (from separator in delimiter
                      from next in item
                      select next).XManySinglePass()
        select head.Concat(tail);
}
