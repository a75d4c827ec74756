using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Recipes;
using MiDistill.Runtime.Hosting;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Sweeps;
using MiDistill.Runtime.Training;

namespace MiDistill.Runtime.Tests.Sweeps;

/// <summary>
/// What a sweep hands its units comes from the run override table: the overrides marked forwarded go
/// into plan.json and every unit runs with them; the executor adds what it sets per unit (threads).
/// No unit is run here.
/// </summary>
public sealed class SweepForwardingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-forward-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A request that sets every override of the table.</summary>
    private static RunRequest Everything() => new()
    {
        Variants = new[] { "a", "b" },
        Seed = 7,
        Threads = 4,
        Workers = 3,
        Device = DeviceKind.Cuda,
        OutputDirectory = "/runs",
        CacheDirectory = "/shared/cache",
        DataPath = "/data/fmnist",
    };

    [Fact]
    public void A_plan_records_exactly_the_overrides_the_table_marks_forwarded()
    {
        var forwarded = RunOverrides.Forwarded(Everything());
        Assert.Equal(RunOverrides.All.Where(o => o.Sweep == SweepUse.Forwarded).Select(o => o.Name), forwarded.Keys);
        // Today's table, written out: a unit is one variant and seed, the output places the sweep, threads are the executor's.
        Assert.Equal(new Dictionary<string, string>
        {
            ["--workers"] = "3",
            ["--device"] = "cuda",
            ["--cache"] = "/shared/cache",
            ["--data"] = "/data/fmnist",
        }, forwarded);
        Assert.Empty(RunOverrides.Forwarded(new RunRequest()));
    }

    [Fact]
    public void An_override_added_to_the_table_as_forwarded_is_forwarded_and_read_back_by_the_unit()
    {
        // A new override, declared once; nothing else about sweeps changes for it.
        var probe = new RunOverride("--probe-workers", "n", "test only", "a count",
            (text, r) => int.TryParse(text, out var n) ? r with { Workers = n } : null,
            r => r.Workers?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            resume: true, SweepUse.Forwarded);
        var table = RunOverrides.All.Where(o => o.Name != "--workers").Append(probe).ToList();

        var forwarded = RunOverrides.Forwarded(Everything(), table);
        Assert.Equal("3", forwarded["--probe-workers"]);
        Assert.False(forwarded.ContainsKey("--workers"));

        var unit = RunOverrides.Fill(new RunRequest(), forwarded, "plan.json", table);
        Assert.Equal(3, unit.Workers);
        Assert.Equal(DeviceKind.Cuda, unit.Device);
    }

    [Fact]
    public void A_unit_runs_with_the_plans_overrides_and_its_own_command_line_wins()
    {
        var plan = RunOverrides.Forwarded(Everything());
        var unit = RunOverrides.Fill(new RunRequest(), plan, "plan.json");
        Assert.Equal((3, DeviceKind.Cuda, "/shared/cache", "/data/fmnist"), (unit.Workers, unit.Device, unit.CacheDirectory, unit.DataPath));
        Assert.Null(unit.Threads);
        Assert.Empty(unit.Variants);

        var ownCommandLine = RunOverrides.Fill(new RunRequest { Device = DeviceKind.Cpu, Workers = 0 }, plan, "plan.json");
        Assert.Equal((0, DeviceKind.Cpu, "/shared/cache"), (ownCommandLine.Workers, ownCommandLine.Device, ownCommandLine.CacheDirectory));

        var bad = Assert.Throws<InvalidDataException>(() => RunOverrides.Fill(new RunRequest(), new Dictionary<string, string> { ["--device"] = "tpu" }, "s/plan.json"));
        Assert.Equal("s/plan.json: --device expects cpu, cuda or auto, got `tpu`", bad.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => RunOverrides.Fill(new RunRequest(), new Dictionary<string, string> { ["--colour"] = "red" }, "s/plan.json"));
        Assert.StartsWith("s/plan.json: unknown override `--colour`", unknown.Message);
    }

    [Fact]
    public void The_executors_give_each_unit_what_the_table_says_they_set()
    {
        Assert.Equal(new[] { "--threads" }, RunOverrides.All.Where(o => o.Sweep == SweepUse.SetByExecutor).Select(o => o.Name));
        Assert.Equal(new[] { "--threads", "4" }, RunOverrides.SetByExecutor(Everything()));
        var sweep = Path.Combine(_root, "s1");
        Assert.Equal(new[] { "unit", sweep, "3", "--threads", "2" }, LocalExecutor.UnitArguments(sweep, "3", 2));
    }

    [Fact]
    public void Plan_writes_the_forwarded_overrides_of_its_command_line_into_plan_json()
    {
        var sweep = Path.Combine(_root, "sweep");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RecipeHost.Main(new[]
        {
            "plan", "tiny_sweep", "--sweep", sweep, "--seed", "7", "--workers", "1", "--device", "cpu",
            "--data", Path.Combine(_root, "data"), "--cache", Path.Combine(_root, "cache"), "--output", Path.Combine(_root, "elsewhere"),
        }, RecipeRegistry.All, output, error);
        Assert.True(code == 0, error.ToString());

        var plan = SweepPlan.Load(sweep);
        Assert.Equal(SweepPlan.CurrentFormat, plan.Format);
        Assert.Equal(new Dictionary<string, string>
        {
            ["--workers"] = "1",
            ["--device"] = "cpu",
            ["--cache"] = Path.Combine(_root, "cache"),
            ["--data"] = Path.Combine(_root, "data"),
        }, plan.Overrides);
        Assert.All(plan.Units, u => Assert.Equal(7, u.Seed));
        Assert.Contains("\"--workers\": \"1\"", File.ReadAllText(SweepPlan.PathIn(sweep)));

        // Without --cache the plan still pins the cache every unit shares, absolute.
        var other = Path.Combine(_root, "sweep2");
        Assert.Equal(0, RecipeHost.Main(new[] { "plan", "tiny_sweep", "--sweep", other }, RecipeRegistry.All, TextWriter.Null, TextWriter.Null));
        var cache = SweepPlan.Load(other).Overrides["--cache"];
        Assert.True(Path.IsPathRooted(cache), cache);
        Assert.Equal(new[] { "--cache" }, SweepPlan.Load(other).Overrides.Keys);
    }

    [Fact]
    public void A_plan_of_format_1_loads_with_its_data_cache_and_device_as_overrides()
    {
        var sweep = Path.Combine(_root, "old");
        Directory.CreateDirectory(sweep);
        File.WriteAllText(SweepPlan.PathIn(sweep), """
            {
              "format": 1,
              "recipe": "study",
              "sourceFileName": "study.distill",
              "recipeSha256": "00",
              "executable": ["/usr/bin/dotnet", "/opt/x.dll"],
              "dataPath": "/data/fmnist",
              "cacheDirectory": "/shared/cache",
              "device": 1,
              "units": [{ "index": 0, "variant": "a", "seed": 0, "folder": "units/0000-a-seed0" }]
            }
            """);
        var plan = SweepPlan.Load(sweep);
        Assert.Equal(SweepPlan.CurrentFormat, plan.Format);
        Assert.Equal(new Dictionary<string, string>
        {
            ["--device"] = "cuda",
            ["--cache"] = "/shared/cache",
            ["--data"] = "/data/fmnist",
        }, plan.Overrides);
    }
}
