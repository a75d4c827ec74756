using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Hosting;

/// <summary>
/// What every command of the experiment executable shares: the parser (System.CommandLine), help with
/// the exit codes, how a usage error is reported, the recipe argument.
/// </summary>
internal static class HostCommandLine
{
    /// <summary>
    /// Arguments are taken as written: no <c>@file</c> response files (a path may start with @).
    /// </summary>
    public static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    /// <summary>The root command: every command as a subcommand, and <c>--help</c> (<c>-h</c>) on each.</summary>
    public static RootCommand Root(string description, IEnumerable<Command> commands)
    {
        var root = new RootCommand(description);
        // The library's --version would print the user's executable's version, and its help
        // aliases include /h and /?, which read like paths here.
        root.Options.Clear();
        root.Options.Add(new HelpOption("--help", "-h") { Action = new HelpWithExitCodes() });
        foreach (var command in commands) root.Subcommands.Add(command);
        // Tokens nothing took are reported by ReportUsageErrors, in the words of this tool. As parse errors they
        // would also fail the parse of an argument that hands a misspelt option back (TakeUntilOption).
        foreach (var command in root.Subcommands.Prepend(root)) command.TreatUnmatchedTokensAsErrors = false;
        return root;
    }

    /// <summary>`help` and `help run` read as `--help` and `run --help`, as they did before the parser was a library.</summary>
    public static string[] Normalize(string[] args) =>
        args.Length > 0 && args[0] == "help" ? args.Skip(1).Append("--help").ToArray() : args;

    /// <summary>Whether the command line is wrong: parse errors, or tokens nothing took, unless it asks for help.</summary>
    public static bool IsWrong(ParseResult parse) =>
        (parse.Errors.Count > 0 || parse.UnmatchedTokens.Count > 0) && parse.Action is not { ClearsParseErrors: true };

    /// <summary>
    /// Writes each parse error as an <c>error:</c> line, the library's suggestions for a misspelt option
    /// or command, and the command's usage; returns <see cref="ExitCodes.Usage"/>.
    /// </summary>
    public static int ReportUsageErrors(ParseResult parse, TextWriter error)
    {
        var command = parse.CommandResult.Command;
        var unmatched = parse.UnmatchedTokens;
        var unknownOptions = unmatched.Where(t => t.StartsWith('-')).ToList();
        // A word after a misspelt option is most likely its value, and words after an unknown command its arguments.
        var reported = command is RootCommand ? unmatched.Take(1).ToList() : unknownOptions.Count > 0 ? unknownOptions : unmatched.ToList();
        if (command is RootCommand && reported.Count > 0)
            error.WriteLine($"error: unknown command `{reported[0]}`");
        else
        {
            foreach (var e in parse.Errors) error.WriteLine("error: " + e.Message);
            foreach (var token in reported)
                error.WriteLine(token.StartsWith('-') ? $"error: unknown option `{token}` for `{command.Name}`" : $"error: unexpected argument `{token}` for `{command.Name}`");
        }
        if (reported.Count > 0) WriteSuggestions(parse, reported, error);
        WriteUsageHint(command, error);
        return ExitCodes.Usage;
    }

    /// <summary>The library's did-you-mean for <paramref name="tokens"/>, which it writes for every unmatched token.</summary>
    private static void WriteSuggestions(ParseResult parse, IReadOnlyList<string> tokens, TextWriter error)
    {
        var suggestions = new StringWriter();
        parse.InvocationConfiguration.Output = suggestions;
        parse.InvocationConfiguration.Error = TextWriter.Null; // its error lines: the same as ours
        new ParseErrorAction { ShowHelp = false, ShowTypoCorrections = true }.Invoke(parse);
        // One block per token: "'--thread' was not matched. Did you mean one of the following?", then one suggestion a line.
        bool keep = false;
        foreach (var line in suggestions.ToString().Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (parse.UnmatchedTokens.FirstOrDefault(t => line.StartsWith($"'{t}'", StringComparison.Ordinal)) is { } token) keep = tokens.Contains(token);
            if (keep) error.WriteLine(line);
        }
    }

    /// <summary>
    /// For the custom parser of an optional or variadic argument: takes its tokens up to the first that
    /// looks like an option and hands the rest back, unmatched, so a misspelt option is reported (with its
    /// suggestion) rather than read as a folder or an index.
    /// </summary>
    public static List<string> TakeUntilOption(ArgumentResult result)
    {
        var values = result.Tokens.Select(t => t.Value).TakeWhile(v => !v.StartsWith('-')).ToList();
        if (values.Count < result.Tokens.Count) result.OnlyTake(values.Count);
        return values;
    }

    /// <summary>The command's usage line and where its options are listed.</summary>
    public static void WriteUsageHint(Command command, TextWriter error)
    {
        var usage = new List<string> { PathOf(command) };
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
        {
            var name = $"<{argument.Name}>";
            usage.Add(argument.Arity.MaximumNumberOfValues > 1 ? name + "..." : argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name);
        }
        if (command.Subcommands.Count > 0) usage.Add("<command>");
        usage.Add("[options]");
        error.WriteLine($"usage: {string.Join(" ", usage)}; `{PathOf(command)} --help` lists {(command.Subcommands.Count > 0 ? "the commands" : "its arguments and options")}");
    }

    /// <summary>Writes <paramref name="command"/>'s help, as `<paramref name="command"/> --help` does.</summary>
    public static void WriteHelp(Command command, TextWriter output)
    {
        var help = command.Parse(new[] { "--help" }, Parsing);
        help.Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });
    }

    /// <summary><c>midistill-recipes run</c>: the command as typed.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault())
            names.Insert(0, s.Name);
        return string.Join(" ", names);
    }

    /// <summary>A recipe of this build, by name; an unknown name is a parse error listing the names.</summary>
    public static Argument<IRecipe> RecipeArgument(IReadOnlyList<IRecipe> recipes)
    {
        var argument = new Argument<IRecipe>("recipe")
        {
            Description = "a recipe of this build (`list` shows them)",
            HelpName = "recipe",
            CustomParser = result =>
            {
                if (result.Tokens.Count == 0) return null;
                var name = result.Tokens[0].Value;
                var recipe = recipes.FirstOrDefault(r => r.Name == name);
                if (recipe is null) result.AddError(NoRecipe(recipes, name));
                return recipe;
            },
        };
        argument.CompletionSources.Add(recipes.Select(r => r.Name).ToArray());
        return argument;
    }

    public static string NoRecipe(IReadOnlyList<IRecipe> recipes, string name) =>
        $"no recipe named `{name}`; this build has {(recipes.Count == 0 ? "none" : string.Join(", ", recipes.Select(r => "`" + r.Name + "`")))}";

    /// <summary>An integer option of at least <paramref name="min"/>, with the message the hand-written parsers gave.</summary>
    public static Option<int?> Integer(string name, string valueName, string description, int min)
    {
        var what = min > 0 ? "a positive integer" : "a non-negative integer";
        return new Option<int?>(name)
        {
            Description = description,
            HelpName = valueName,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min) return n;
                result.AddError($"{name} expects {what}, got `{text}`");
                return null;
            },
        };
    }

    /// <summary>Help as the library writes it (description, usage, arguments, options), then the exit codes.</summary>
    private sealed class HelpWithExitCodes : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            var output = parse.InvocationConfiguration.Output;
            new HelpAction { MaxWidth = Width(output) }.Invoke(parse);
            output.WriteLine("Exit codes:");
            foreach (var (code, meaning) in ExitCodes.Table)
                output.WriteLine($"  {code.ToString(CultureInfo.InvariantCulture)}  {meaning}");
            output.WriteLine();
            return ExitCodes.Ok;
        }
    }

    // Wrapped to the terminal; unwrapped into a pipe or a file, where lines are read by tools.
    private static int Width(TextWriter output)
    {
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected) return int.MaxValue;
        try { return Math.Max(40, Console.WindowWidth); }
        catch (IOException) { return int.MaxValue; }
    }
}

/// <summary>A command line that is wrong in a way only the command's action finds (a file where a folder belongs).</summary>
internal sealed class UsageException(string message) : Exception(message);
