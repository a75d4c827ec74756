using System.Linq;
using MiDistill.Dsl.Syntax;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Syntax;

public class ParserTests
{
    // (input, tree): the grammar is generic, so these use names the schema does not know; the
    // parser must not care.
    public static TheoryData<string, string> Trees => new()
    {
        { "recipe q { }", "(recipe q)" },
        { "", "" },
        { "recipe a {} recipe b {}", "(recipe a) (recipe b)" },
        { "recipe q { data { classes 5..9 } }", "(recipe q (section data (setting classes (range 5 9))))" },
        // Numbers: int, float, exponent (both signs, either case), negative, percent.
        { "recipe q { s { a 5 } }", "(recipe q (section s (setting a (int 5))))" },
        { "recipe q { s { a 0.0005 } }", "(recipe q (section s (setting a (float 0.0005))))" },
        { "recipe q { s { a 5e-4 } }", "(recipe q (section s (setting a (float 0.0005))))" },
        { "recipe q { s { a 2.5E+3 } }", "(recipe q (section s (setting a (float 2500))))" },
        { "recipe q { s { a 1e3 } }", "(recipe q (section s (setting a (float 1000))))" },
        { "recipe q { s { a -3 } }", "(recipe q (section s (setting a (int -3))))" },
        { "recipe q { s { a -0.25 } }", "(recipe q (section s (setting a (float -0.25))))" },
        { "recipe q { s { a 20% } }", "(recipe q (section s (setting a (percent 20))))" },
        { "recipe q { s { a 12.5% } }", "(recipe q (section s (setting a (percent 12.5))))" },
        // Ranges, including negative ends and spaces around the number (not inside the range).
        { "recipe q { s { a 0..4 } }", "(recipe q (section s (setting a (range 0 4))))" },
        { "recipe q { s { a -2..-1 } }", "(recipe q (section s (setting a (range -2 -1))))" },
        // Strings and their escapes.
        { "recipe q { s { a \"runs\" } }", "(recipe q (section s (setting a \"runs\")))" },
        { "recipe q { s { a \"\" } }", "(recipe q (section s (setting a \"\")))" },
        { "recipe q { s { a \"say \\\"hi\\\"\" } }", "(recipe q (section s (setting a \"say \\\"hi\\\"\")))" },
        { "recipe q { s { a \"C:\\\\data\\\\fm\" } }", "(recipe q (section s (setting a \"C:\\\\data\\\\fm\")))" },
        { "recipe q { s { a \"a\\tb\\nc\" } }", "(recipe q (section s (setting a \"a\\tb\\nc\")))" },
        { "recipe q { s { a \"# not a comment // either\" } }", "(recipe q (section s (setting a \"# not a comment // either\")))" },
        // Names (with digits and underscores), calls, nested calls, empty calls.
        { "recipe q { s { a tiny_28 } }", "(recipe q (section s (setting a tiny_28)))" },
        { "recipe q { s { a _x1 } }", "(recipe q (section s (setting a _x1)))" },
        { "recipe q { s { a sam(rho: 0.05) } }", "(recipe q (section s (setting a (call sam (arg rho (float 0.05))))))" },
        { "recipe q { s { a f() } }", "(recipe q (section s (setting a (call f))))" },
        { "recipe q { s { a mlp(top: 2, alpha: 0.5, schedule: ramp(epochs: 3)) } }",
          "(recipe q (section s (setting a (call mlp (arg top (int 2)) (arg alpha (float 0.5)) (arg schedule (call ramp (arg epochs (int 3))))))))" },
        { "recipe q { s { a upstream(classes: 0..4, optimizer: adamw(lr: 1e-3)) } }",
          "(recipe q (section s (setting a (call upstream (arg classes (range 0 4)) (arg optimizer (call adamw (arg lr (float 0.001))))))))" },
        // Lists: empty, of numbers, of names, nested, of calls.
        { "recipe q { s { a [] } }", "(recipe q (section s (setting a (list))))" },
        { "recipe q { s { a [0, 2, 4] } }", "(recipe q (section s (setting a (list (int 0) (int 2) (int 4)))))" },
        { "recipe q { s { a [accuracy, balanced_accuracy] } }", "(recipe q (section s (setting a (list accuracy balanced_accuracy))))" },
        { "recipe q { s { a [[1], f(x: \"y\")] } }", "(recipe q (section s (setting a (list (list (int 1)) (call f (arg x \"y\"))))))" },
        // Comments (# and //), anywhere trivia may go, including at the very start and end.
        { "# header\nrecipe q { # after brace\n s { a 1 // trailing\n } } // end", "(recipe q (section s (setting a (int 1))))" },
        { "// only\n// comments\nrecipe q {\n  // inside\n}\n#", "(recipe q)" },
        // Optional semicolons after settings and assignments; several settings on one line.
        { "recipe q { s { a 1; b 2 c 3; } }", "(recipe q (section s (setting a (int 1)) (setting b (int 2)) (setting c (int 3))))" },
        // Variants: dotted assignments of any depth, empty variants, several blocks kept apart.
        { "recipe q { variants { v { finetune.objective = cross_entropy; finetune.reweight = none } w { } } }",
          "(recipe q (variants (variant v (set finetune.objective cross_entropy) (set finetune.reweight none)) (variant w)))" },
        { "recipe q { variants { v { finetune.reweight.schedule.epochs = 3 } } }",
          "(recipe q (variants (variant v (set finetune.reweight.schedule.epochs (int 3)))))" },
        { "recipe q { variants { v { x = 1\n y . z = [1] } } }",
          "(recipe q (variants (variant v (set x (int 1)) (set y.z (list (int 1))))))" },
        { "recipe q { data { seed 1 } variants { v { } } run { threads 1 } }",
          "(recipe q (section data (setting seed (int 1))) (section run (setting threads (int 1))) (variants (variant v)))" },
        // Sweeps: grids are paths with values (no `=`); a one-part path is an option.
        { "recipe q { sweep { finetune.objective.rho [0.05, 0.1]; limit 8\n variants [a] } }",
          "(recipe q (sweep (grid finetune.objective.rho (list (float 0.05) (float 0.1))) (grid limit (int 8)) (grid variants (list a))))" },
        { "recipe q { sweep { } variants { v { } } }", "(recipe q (variants (variant v)) (sweep))" },
        // Keywords are whole names: `recipes`/`variantsx` are not keywords.
        { "recipe recipe { variantsx { a 1 } }", "(recipe recipe (section variantsx (setting a (int 1))))" },
    };

    [Theory]
    [MemberData(nameof(Trees))]
    public void Parses_to_tree(string input, string expected)
    {
        var result = RecipeParser.Parse("t.distill", input);
        Assert.Null(result.Error);
        Assert.Equal(expected, AstPrinter.Print(result.Tree!));
    }

    // (input, the exact diagnostic): position, what was found and what was expected.
    public static TheoryData<string, string> Errors => new()
    {
        // Structure.
        { "recipe", "bad.distill(1,7): error MD0001: syntax error: unexpected end of file; expected a name" },
        { "recipe q", "bad.distill(1,9): error MD0001: syntax error: unexpected end of file; expected `{`" },
        { "recipe q {", "bad.distill(1,11): error MD0001: syntax error: unexpected end of file; expected a section or `}`" },
        { "recipe q { data { classes 5..9 } \n", "bad.distill(2,1): error MD0001: syntax error: unexpected end of file; expected a section or `}`" },
        { "recipee q { }", "bad.distill(1,1): error MD0001: syntax error: unexpected `recipee`; expected `recipe` or end of file" },
        { "# a recipe\nq { }", "bad.distill(2,1): error MD0001: syntax error: unexpected `q`; expected `recipe` or end of file" },
        { "recipe q { data { seed 1 } } }", "bad.distill(1,30): error MD0001: syntax error: unexpected `}`; expected `recipe` or end of file" },
        { "recipe 9q { }", "bad.distill(1,8): error MD0001: syntax error: unexpected `9q`; expected a name" },
        { "recipe q { s { 9 } }", "bad.distill(1,16): error MD0001: syntax error: unexpected `9`; expected a setting or `}`" },
        { "recipe q { sweep { finetune.epochs = [1] } }", "bad.distill(1,36): error MD0001: syntax error: unexpected `=`; expected a value" },
        { "recipe q { sweep { a.b [1] ", "bad.distill(1,28): error MD0001: syntax error: unexpected end of file; expected a grid `section.setting [values]` or `}`" },
        // Settings and values.
        { "recipe q { data { classes } }", "bad.distill(1,27): error MD0001: syntax error: unexpected `}`; expected a value" },
        { "recipe q { data {\n  seed = 1\n} }", "bad.distill(2,8): error MD0001: syntax error: unexpected `=`; expected a value" },
        { "recipe q { data {\n  seed @\n} }", "bad.distill(2,8): error MD0001: syntax error: unexpected `@`; expected a value" },
        { "recipe q { data {\n  seed 1;;\n} }", "bad.distill(2,10): error MD0001: syntax error: unexpected `;`; expected a setting or `}`" },
        // Numbers and ranges: reported where the digits are missing, not at the next setting.
        { "recipe q { data {\n  classes 5..\n} }", "bad.distill(2,14): error MD0001: syntax error: unexpected end of line; expected an integer after `..`" },
        { "recipe q { s { a 5..x } }", "bad.distill(1,21): error MD0001: syntax error: unexpected `x`; expected an integer after `..`" },
        { "recipe q { data {\n  seed 1.\n} }", "bad.distill(2,10): error MD0001: syntax error: unexpected end of line; expected a digit after `.`" },
        { "recipe q { data {\n  seed 1e\n} }", "bad.distill(2,10): error MD0001: syntax error: unexpected end of line; expected the exponent's digits" },
        { "recipe q { s { a - } }", "bad.distill(1,19): error MD0001: syntax error: unexpected a space; expected a digit after `-`" },
        { "recipe q { s { a 5%% } }", "bad.distill(1,20): error MD0001: syntax error: unexpected `%`; expected a setting or `}`" },
        // Strings.
        { "recipe q { data {\n  path \"abc\n} }", "bad.distill(2,12): error MD0001: syntax error: unexpected end of line; expected closing `\"`" },
        { "recipe q { data {\n  path \"C:\\data\"\n} }", "bad.distill(2,11): error MD0001: syntax error: unexpected `\\d`; expected an escape (`\\\"`, `\\\\`, `\\n` or `\\t`)" },
        // Calls and lists.
        { "recipe q { finetune {\n  objective sam(rho 0.05)\n} }", "bad.distill(2,21): error MD0001: syntax error: unexpected `0.05`; expected `:`" },
        { "recipe q { finetune {\n  objective sam(rho: 0.05\n} }", "bad.distill(3,1): error MD0001: syntax error: unexpected `}`; expected `,` or `)`" },
        { "recipe q { finetune {\n  objective sam(rho: 0.05,)\n} }", "bad.distill(2,27): error MD0001: syntax error: unexpected `)`; expected a name" },
        { "recipe q { finetune {\n  objective sam(rho: )\n} }", "bad.distill(2,22): error MD0001: syntax error: unexpected `)`; expected a value" },
        { "recipe q { s { a f(x: 1 y: 2) } }", "bad.distill(1,25): error MD0001: syntax error: unexpected `y`; expected `,` or `)`" },
        { "recipe q { s { a f( } }", "bad.distill(1,21): error MD0001: syntax error: unexpected `}`; expected an argument `name: value` or `)`" },
        { "recipe q { s { a [ } }", "bad.distill(1,20): error MD0001: syntax error: unexpected `}`; expected a value or `]`" },
        { "recipe q { evaluate {\n  metrics [accuracy, ]\n} }", "bad.distill(2,22): error MD0001: syntax error: unexpected `]`; expected a value" },
        { "recipe q { evaluate {\n  metrics [accuracy balanced_accuracy]\n} }", "bad.distill(2,21): error MD0001: syntax error: unexpected `balanced_accuracy`; expected `,` or `]`" },
        // Variants.
        { "recipe q { variants {\n  v { finetune.epochs 3 }\n} }", "bad.distill(2,23): error MD0001: syntax error: unexpected `3`; expected `=`" },
        { "recipe q { variants {\n  v { finetune. = 3 }\n} }", "bad.distill(2,17): error MD0001: syntax error: unexpected `=`; expected a name" },
        { "recipe q { variants {\n  v { finetune.epochs = }\n} }", "bad.distill(2,25): error MD0001: syntax error: unexpected `}`; expected a value" },
        { "recipe q { variants {\n  v finetune.epochs = 3\n} }", "bad.distill(2,5): error MD0001: syntax error: unexpected `finetune`; expected `{`" },
        { "recipe q { variants { v { = 1 } } }", "bad.distill(1,27): error MD0001: syntax error: unexpected `=`; expected an assignment `section.setting = value` or `}`" },
        // Digits are ASCII: a Unicode digit is named where it stands, in a number, a range or a name.
        { "recipe r {\n  finetune { epochs \u0663 }\n}", "bad.distill(2,21): error MD0001: syntax error: the digit `\u0663` is not an ASCII digit; write numbers with 0-9" },
        { "recipe q { s { a \uFF11\uFF12 } }", "bad.distill(1,18): error MD0001: syntax error: the digit `\uFF11` is not an ASCII digit; write numbers with 0-9" },
        { "recipe q { s { a 1\u0663 } }", "bad.distill(1,19): error MD0001: syntax error: the digit `\u0663` is not an ASCII digit; write numbers with 0-9" },
        { "recipe q { s { a 0..\u0663 } }", "bad.distill(1,21): error MD0001: syntax error: the digit `\u0663` is not an ASCII digit; write numbers with 0-9" },
        { "recipe q { s { a tiny_\u0663 } }", "bad.distill(1,23): error MD0001: syntax error: the digit `\u0663` is not an ASCII digit; write numbers with 0-9" },
        // Range bounds are longs; one that does not fit is reported at that bound, also inside a list.
        { "recipe q { data { classes 0..9999999999999999999 } }", "bad.distill(1,30): error MD0001: syntax error: the range bound `9999999999999999999` is too large; range bounds are 64-bit integers, -9223372036854775808..9223372036854775807" },
        { "recipe q { s { a -9223372036854775809..0 } }", "bad.distill(1,18): error MD0001: syntax error: the range bound `-9223372036854775809` is too small; range bounds are 64-bit integers, -9223372036854775808..9223372036854775807" },
        { "recipe q { s { a [1, 99999999999999999999..1] } }", "bad.distill(1,22): error MD0001: syntax error: the range bound `99999999999999999999` is too large; range bounds are 64-bit integers, -9223372036854775808..9223372036854775807" },
        // A number beyond double's range would read as infinity.
        { "recipe q { s { a 1e400 } }", "bad.distill(1,18): error MD0001: syntax error: the number `1e400` is too large to represent; numbers lie within about -1.8e308..1.8e308" },
        { "recipe q { s { a f(x: -1.5e309%) } }", "bad.distill(1,23): error MD0001: syntax error: the number `-1.5e309` is too large to represent; numbers lie within about -1.8e308..1.8e308" },
        // Invisible characters are named by code point, so the message stays one readable line.
        { "recipe q { s { a \0 } }", "bad.distill(1,18): error MD0001: syntax error: unexpected the character U+0000; expected a value" },
        { "recipe q { s { a \u0301 } }", "bad.distill(1,18): error MD0001: syntax error: unexpected the character U+0301; expected a value" },
        { "recipe q { s { a \"x\\\u2028\" } }", "bad.distill(1,20): error MD0001: syntax error: unexpected `\\` followed by the character U+2028; expected an escape (`\\\"`, `\\\\`, `\\n` or `\\t`)" },
        // Nesting is limited: the first bracket past the limit is the error (lists and calls count alike).
        { "recipe q { s { a " + new string('[', 65), "bad.distill(1,82): error MD0001: syntax error: `[` nests lists and calls 65 levels deep, past the limit of 64; close some of the open brackets first" },
        { "recipe q { s { a " + string.Concat(Enumerable.Repeat("f(a: [", 33)), "bad.distill(1,211): error MD0001: syntax error: `(` nests lists and calls 65 levels deep, past the limit of 64; close some of the open brackets first" },
    };

    [Fact]
    public void Nesting_up_to_the_limit_parses()
    {
        var text = "recipe q { s { a " + new string('[', RecipeGrammar.MaxNesting) + new string(']', RecipeGrammar.MaxNesting) + " } }";
        var result = RecipeParser.Parse("t.distill", text);
        Assert.Null(result.Error);
        Assert.Equal("(recipe q (section s (setting a " + "(list" + string.Concat(Enumerable.Repeat(" (list", RecipeGrammar.MaxNesting - 1)) + new string(')', RecipeGrammar.MaxNesting) + ")))", AstPrinter.Print(result.Tree!));
    }

    // Before the limit, each of these overflowed the stack and killed the process; now each is one
    // diagnostic, on a thread with a 1 MB stack (the size of a thread pool thread's on some hosts).
    [Theory]
    [InlineData(5000, "[", "", '[', 82)]
    [InlineData(4000, "[", "]", '[', 82)]
    [InlineData(5000, "f(a: ", "", '(', 339)]
    [InlineData(5000, "f(a: ", ")", '(', 339)]
    public void Deep_nesting_is_a_diagnostic_not_a_stack_overflow(int depth, string open, string close, char bracket, int column)
    {
        var text = "recipe q { s { a " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + " } }";
        ParseResult? result = null;
        var thread = new System.Threading.Thread(() => result = RecipeParser.Parse("deep.distill", text), 1024 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(result!.Tree);
        Assert.StartsWith($"deep.distill(1,{column}): error MD0001: syntax error: `{bracket}` nests lists and calls 65 levels deep", result.Error!.ToString());
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void Reports_syntax_error(string input, string expected)
    {
        var result = RecipeParser.Parse("bad.distill", input);
        Assert.Null(result.Tree);
        Assert.Equal(expected, result.Error!.ToString());
    }
}
