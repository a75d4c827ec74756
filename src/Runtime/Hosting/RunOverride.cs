using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Hosting;

/// <summary>What the sweep commands (`plan`, `submit`) do with a run override (docs/sweeps.md).</summary>
internal enum SweepUse
{
    /// <summary>Picks the units (`--variant`, `--seed`); a unit is one variant and one seed, so nothing is left to forward.</summary>
    SelectsUnits,

    /// <summary>Places the sweep folder when `--sweep` is not given: <c>&lt;output&gt;/&lt;recipe&gt;/sweep-&lt;timestamp&gt;</c>.</summary>
    PlacesSweep,

    /// <summary>
    /// The executor sets it on each unit's command line: `--threads` is shared out between the local
    /// jobs, or is each Slurm task's CPUs. Not in the plan, since it belongs to one submission.
    /// </summary>
    SetByExecutor,

    /// <summary>Recorded in the sweep's plan.json: every unit runs with it, whoever starts the unit.</summary>
    Forwarded,
}

/// <summary>
/// One setting of a run the command line may override, declared once: the option, its value and the
/// message for a bad one, its help, how it changes a <see cref="RunRequest"/>, whether `resume` takes it,
/// and what sweeps do with it. The options of `run`, `resume`, `plan`, `submit` and `unit`, their help
/// and what a sweep forwards to its units are all made from <see cref="RunOverrides.All"/>.
/// </summary>
internal sealed class RunOverride
{
    private readonly Func<string, RunRequest, RunRequest?> _apply;
    private readonly Func<RunRequest, string?> _value;

    /// <param name="name">The option, <c>--threads</c>.</param>
    /// <param name="valueName">The value's name in the help, <c>n</c>.</param>
    /// <param name="expects">What a value is, for the message about a bad one: "--threads expects {expects}, got `x`".</param>
    /// <param name="apply">The request with the value given on the command line; null when the text is not a valid value.</param>
    /// <param name="value">The request's value as it is written on a command line; null when the request leaves it unset.
    /// With <paramref name="apply"/>, a value survives the round trip through plan.json.</param>
    /// <param name="resume">Whether `resume` (and a sweep's unit, which may resume) takes it: a run continues with
    /// the settings it started with, except those that belong to the machine or the process.</param>
    /// <param name="sweepDescription">The help of the option on `plan` and `submit`, when it differs there.</param>
    public RunOverride(string name, string valueName, string description, string expects,
        Func<string, RunRequest, RunRequest?> apply, Func<RunRequest, string?> value, bool resume, SweepUse sweep, string? sweepDescription = null)
    {
        Name = name;
        ValueName = valueName;
        Description = description;
        Expects = expects;
        _apply = apply;
        _value = value;
        Resume = resume;
        Sweep = sweep;
        SweepDescription = sweepDescription ?? description;
    }

    public string Name { get; }
    public string ValueName { get; }
    public string Description { get; }
    public string Expects { get; }
    public bool Resume { get; }
    public SweepUse Sweep { get; }
    public string SweepDescription { get; }

    /// <summary>A fresh option for one command; a bad value is a parse error (exit 2) with this override's message.</summary>
    public Option<string> CreateOption(string? description = null)
    {
        var option = new Option<string>(Name) { Description = description ?? Description, HelpName = ValueName };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (_apply(token.Value, new RunRequest()) is null)
                    result.AddError(BadValue(token.Value));
        });
        return option;
    }

    /// <summary>The request with <paramref name="text"/> applied; a bad value is an <see cref="ArgumentException"/>.</summary>
    public RunRequest Apply(string text, RunRequest request) => _apply(text, request) ?? throw new ArgumentException(BadValue(text));

    /// <summary>The request's value as written on a command line, or null when the request leaves it unset.</summary>
    public string? ValueOf(RunRequest request) => _value(request);

    private string BadValue(string text) => $"{Name} expects {Expects}, got `{text}`";

    public override string ToString() => Name;
}

/// <summary>The table of run overrides, and what is made from it.</summary>
internal static class RunOverrides
{
    /// <summary>Every override, in the order the help lists them.</summary>
    public static IReadOnlyList<RunOverride> All { get; } = new[]
    {
        new RunOverride("--variant", "name[,name...]", "run only these variants", "variant names separated by commas",
            (text, r) => Names(text) is { Length: > 0 } names ? r with { Variants = names } : null,
            r => r.Variants.Count > 0 ? string.Join(",", r.Variants) : null,
            resume: false, SweepUse.SelectsUnits, "plan only the units of these variants"),
        Count("--seed", "s", "run only the replicate of seed s (one of run.seed)", "one of the recipe's seeds (a non-negative integer)",
            (r, n) => r with { Seed = n }, r => r.Seed, resume: true, SweepUse.SelectsUnits, "plan only the units of seed s"),
        Count("--threads", "n", "CPU threads (overrides run.threads; 0 = all cores)", "a non-negative integer",
            (r, n) => r with { Threads = n }, r => r.Threads, resume: true, SweepUse.SetByExecutor,
            "CPU threads: here, shared out between the --jobs units running at once (default: all cores); with --slurm, each task's threads and --cpus-per-task (default 1)"),
        Count("--workers", "n", "data workers decoding batches ahead (overrides run.workers; 0 = the cores the threads leave)", "a non-negative integer",
            (r, n) => r with { Workers = n }, r => r.Workers, resume: true, SweepUse.Forwarded),
        new RunOverride("--device", "cpu|cuda|auto", "overrides run.device", "cpu, cuda or auto",
            (text, r) => Device(text) is { } device ? r with { Device = device } : null,
            r => r.Device switch { DeviceKind.Cpu => "cpu", DeviceKind.Cuda => "cuda", DeviceKind.Auto => "auto", _ => null },
            resume: true, SweepUse.Forwarded),
        Folder("--output", "root of run folders (overrides run.output)", (r, dir) => r with { OutputDirectory = dir }, r => r.OutputDirectory,
            resume: false, SweepUse.PlacesSweep, "without --sweep, the sweep folder is <dir>/<recipe>/sweep-<timestamp> (default run.output)"),
        Folder("--cache", "pretrained-teacher cache (overrides run.cache)", (r, dir) => r with { CacheDirectory = dir }, r => r.CacheDirectory,
            resume: false, SweepUse.Forwarded, "the pretrained-teacher cache every unit shares (default run.cache, made absolute)"),
        // A path on the command line is relative to where the command runs, not to the recipe.
        Folder("--data", "the data set's folder: IDX files or an image folder (overrides data.path)", (r, dir) => r with { DataPath = Path.GetFullPath(dir) }, r => r.DataPath,
            resume: true, SweepUse.Forwarded),
    };

    /// <summary>The overrides `resume` takes.</summary>
    public static IEnumerable<RunOverride> Resumable => All.Where(o => o.Resume);

    public static RunOverride? Find(string name) => All.FirstOrDefault(o => o.Name == name);

    /// <summary>
    /// What a sweep records in its plan for every unit: the <see cref="SweepUse.Forwarded"/> overrides
    /// the request sets, by name, in table order.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Forwarded(RunRequest request, IEnumerable<RunOverride>? table = null) =>
        Values(request, (table ?? All).Where(o => o.Sweep == SweepUse.Forwarded));

    /// <summary>The arguments an executor adds to a unit's command line: the <see cref="SweepUse.SetByExecutor"/> overrides the request sets.</summary>
    public static IReadOnlyList<string> SetByExecutor(RunRequest request, IEnumerable<RunOverride>? table = null) =>
        Values(request, (table ?? All).Where(o => o.Sweep == SweepUse.SetByExecutor)).SelectMany(v => new[] { v.Key, v.Value }).ToList();

    /// <summary>
    /// The request with <paramref name="values"/> (a plan's overrides) applied where the request leaves a
    /// setting unset: what a unit's own command line gives wins. A name or value this build does not
    /// know is an <see cref="InvalidDataException"/> naming <paramref name="source"/>.
    /// </summary>
    public static RunRequest Fill(RunRequest request, IReadOnlyDictionary<string, string> values, string source, IEnumerable<RunOverride>? table = null)
    {
        var known = (table ?? All).ToList();
        foreach (var (name, text) in values)
        {
            var o = known.FirstOrDefault(k => k.Name == name)
                ?? throw new InvalidDataException($"{source}: unknown override `{name}`; this build knows {string.Join(", ", known.Select(k => k.Name))}");
            if (o.ValueOf(request) is not null) continue;
            try { request = o.Apply(text, request); }
            catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        }
        return request;
    }

    private static IReadOnlyDictionary<string, string> Values(RunRequest request, IEnumerable<RunOverride> overrides)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in overrides)
            if (o.ValueOf(request) is { } value) values[o.Name] = value;
        return values;
    }

    private static RunOverride Count(string name, string valueName, string description, string expects,
        Func<RunRequest, int, RunRequest> set, Func<RunRequest, int?> get, bool resume, SweepUse sweep, string? sweepDescription = null) =>
        new(name, valueName, description, expects,
            (text, r) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? set(r, n) : null,
            r => get(r)?.ToString(CultureInfo.InvariantCulture), resume, sweep, sweepDescription);

    private static RunOverride Folder(string name, string description,
        Func<RunRequest, string, RunRequest> set, Func<RunRequest, string?> get, bool resume, SweepUse sweep, string? sweepDescription = null) =>
        new(name, "dir", description, "a folder", (text, r) => text.Length > 0 ? set(r, text) : null, get, resume, sweep, sweepDescription);

    private static string[] Names(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static DeviceKind? Device(string text) => text switch
    {
        "cpu" => DeviceKind.Cpu,
        "cuda" => DeviceKind.Cuda,
        "auto" => DeviceKind.Auto,
        _ => null,
    };
}

/// <summary>The options some run overrides have on one command, and the request a parse of them makes.</summary>
internal sealed class OverrideOptions
{
    private readonly List<(RunOverride Override, Option<string> Option)> _options = new();

    public OverrideOptions(Command command, IEnumerable<RunOverride> overrides, Func<RunOverride, string>? describe = null)
    {
        foreach (var o in overrides)
        {
            var option = o.CreateOption(describe?.Invoke(o));
            command.Options.Add(option);
            _options.Add((o, option));
        }
    }

    /// <summary>
    /// Makes <paramref name="command"/> refuse <paramref name="overrides"/> with <paramref name="why"/>'s
    /// message instead of "unrecognized": options that are there only to say why they are not.
    /// </summary>
    public static void Refuse(Command command, IEnumerable<RunOverride> overrides, Func<RunOverride, string> why)
    {
        foreach (var o in overrides)
        {
            var option = new Option<string>(o.Name) { Hidden = true };
            option.Validators.Add(result => result.AddError(why(o)));
            command.Options.Add(option);
        }
    }

    /// <summary>The request with every override the command line gave applied.</summary>
    public RunRequest Apply(ParseResult parse, RunRequest request)
    {
        foreach (var (o, option) in _options)
            if (parse.GetResult(option) is not null && parse.GetValue(option) is { } text)
                request = o.Apply(text, request);
        return request;
    }
}
