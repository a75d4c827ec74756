using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Sweeps;

/// <summary>
/// One unit of a sweep: one variant (a grid point is a variant) and one of its seeds. It runs into
/// <see cref="Folder"/> (relative to the sweep folder), with its own checkpoints, so it resumes on its own.
/// </summary>
public sealed record SweepUnit(int Index, string Variant, int Seed, string Folder)
{
    public string Name => Path.GetFileName(Folder);
}

/// <summary>
/// The units of a sweep, written once by <c>plan</c> (or <c>submit</c>) to <c>plan.json</c> in the sweep
/// folder. Every executor reads the same file: unit i of the plan is Slurm array task i.
/// </summary>
public sealed record SweepPlan
{
    public const string FileName = "plan.json";
    public const string UnitsFolderName = "units";
    /// <summary>2: the units' run overrides in <see cref="Overrides"/>; format 1 had data, cache and device as fields and still loads.</summary>
    public const int CurrentFormat = 2;

    public int Format { get; init; } = CurrentFormat;
    public required string Recipe { get; init; }
    public required string SourceFileName { get; init; }
    /// <summary>SHA-256 of the recipe text the plan was made from: a unit refuses to start from another build's recipe.</summary>
    public required string RecipeSha256 { get; init; }
    /// <summary>The experiment executable that runs a unit: the program and its leading arguments (<c>dotnet x.dll</c>).</summary>
    public required IReadOnlyList<string> Executable { get; init; }
    /// <summary>
    /// The run overrides every unit runs with, as on a command line (<c>"--cache": "/abs/cache"</c>): those the
    /// command line's override table marks as forwarded to units (--data, --cache, --device, --workers).
    /// The cache is always there, absolute: the units share it and take turns on an entry through its lock.
    /// A unit's own command line wins over these.
    /// </summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();
    public required IReadOnlyList<SweepUnit> Units { get; init; }

    /// <summary>
    /// The units of <paramref name="recipe"/>: every variant (or those <paramref name="request"/> names) times each
    /// of its seeds (or the one it names), variant by variant; the request's forwarded overrides go to every unit.
    /// </summary>
    public static SweepPlan For(IRecipe recipe, RunRequest request, IReadOnlyList<string> executable)
    {
        var variants = request.Variants;
        var onlySeed = request.Seed;
        var known = recipe.Variants.Select(v => v.Variant).ToList();
        var unknown = variants.Where(v => !known.Contains(v)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"recipe `{recipe.Name}` has no variant {string.Join(", ", unknown.Select(u => "`" + u + "`"))}; its variants are {string.Join(", ", known.Select(k => "`" + k + "`"))}");
        var units = new List<SweepUnit>();
        foreach (var variant in recipe.Variants.Where(v => variants.Count == 0 || variants.Contains(v.Variant)))
            foreach (var seed in variant.Run.Seeds.Where(s => onlySeed is null || s == onlySeed))
            {
                var index = units.Count;
                units.Add(new SweepUnit(index, variant.Variant, seed,
                    Path.Combine(UnitsFolderName, string.Create(CultureInfo.InvariantCulture, $"{index:D4}-{SafeName(variant.Variant)}-seed{seed}"))));
            }
        if (units.Count == 0)
            throw new ArgumentException($"--seed {onlySeed} is not a seed of any chosen variant of recipe `{recipe.Name}`; nothing to plan");
        return new SweepPlan
        {
            Recipe = recipe.Name,
            SourceFileName = recipe.SourceFileName,
            RecipeSha256 = Sha256(recipe.SourceText),
            Executable = executable,
            Overrides = RunOverrides.Forwarded(request),
            Units = units,
        };
    }

    public static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathIn(string sweepFolder) => Path.Combine(sweepFolder, FileName);

    /// <summary>Reads a sweep folder's plan, or says clearly why it cannot.</summary>
    public static SweepPlan Load(string sweepFolder)
    {
        if (File.Exists(sweepFolder))
            throw new IOException($"`{sweepFolder}` is a file; give a sweep folder (the folder `plan` or `submit` printed)");
        if (!Directory.Exists(sweepFolder))
            throw new DirectoryNotFoundException($"{sweepFolder}: no such sweep folder; `plan <recipe>` or `submit <recipe>` makes one");
        var path = PathIn(sweepFolder);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{sweepFolder}: not a sweep folder ({FileName} is missing; `plan <recipe> --sweep {sweepFolder}` writes it)", path);
        SweepPlan? plan;
        try
        {
            var text = File.ReadAllText(path);
            plan = JsonSerializer.Deserialize<SweepPlan>(text, Json);
            if (plan?.Format == 1) plan = FromFormatOne(plan, text);
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: the sweep plan is unreadable ({e.Message}); plan the sweep again into a new folder", e); }
        if (plan is null || plan.Format != CurrentFormat)
            throw new InvalidDataException($"{path}: the sweep plan was written by another version of MiDistill (format {plan?.Format}, this one reads {CurrentFormat})");
        for (int i = 0; i < plan.Units.Count; i++)
            if (plan.Units[i].Index != i)
                throw new InvalidDataException($"{path}: unit {i} is numbered {plan.Units[i].Index}; the plan was edited by hand. Plan the sweep again");
        return plan;
    }

    // Format 1 kept data, cache and device as fields; they are the same overrides, so a sweep planned before goes on.
    private sealed record FormatOne(string? DataPath, string? CacheDirectory, DeviceKind? Device);

    private static SweepPlan FromFormatOne(SweepPlan plan, string text)
    {
        var old = JsonSerializer.Deserialize<FormatOne>(text, Json)!;
        var request = new RunRequest { DataPath = old.DataPath, CacheDirectory = old.CacheDirectory, Device = old.Device };
        return plan with { Format = CurrentFormat, Overrides = RunOverrides.Forwarded(request) };
    }

    /// <summary>Writes the plan (atomically); an existing plan must be the same sweep, so units already run stay valid.</summary>
    public void Save(string sweepFolder)
    {
        Directory.CreateDirectory(sweepFolder);
        var path = PathIn(sweepFolder);
        if (File.Exists(path))
        {
            var existing = Load(sweepFolder);
            if (existing.Recipe != Recipe || existing.RecipeSha256 != RecipeSha256 || !existing.Units.SequenceEqual(Units))
                throw new InvalidOperationException(
                    $"{sweepFolder} already holds a different sweep (recipe `{existing.Recipe}`, {existing.Units.Count} units{(existing.RecipeSha256 != RecipeSha256 ? ", planned from another version of the recipe" : "")}); give a new folder with --sweep");
            return;
        }
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The unit's folder: its log, status, and the run folder.</summary>
    public string UnitFolder(string sweepFolder, SweepUnit unit) => Path.Combine(sweepFolder, unit.Folder);

    /// <summary>The unit's run folder (recipe copy, settings, checkpoints, results), inside its unit folder.</summary>
    public string RunFolder(string sweepFolder, SweepUnit unit) => Path.Combine(sweepFolder, unit.Folder, "run");

    /// <summary>The executable that is running now, as a unit's command: <c>dotnet x.dll</c> or the app host.</summary>
    public static IReadOnlyList<string> CurrentExecutable()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running");
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        bool viaHost = Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        if (viaHost && string.IsNullOrEmpty(entry)) throw new InvalidOperationException("cannot tell which assembly `dotnet` is running");
        return viaHost ? new[] { process, entry! } : new[] { process };
    }

    private static string SafeName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string(name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray());
    }
}
