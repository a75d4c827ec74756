using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Tests.EndToEnd;
using MiDistill.Runtime.Tests.Sweeps;
using Xunit.Abstractions;

namespace MiDistill.Runtime.Tests.Regression;

/// <summary>
/// The regression record (Regression/Records/, written by scripts/regression-record.sh; docs/testing.md):
/// every test recipe the suite runs end to end runs again as a child process with the record's
/// arguments and CPU pinning, and its metrics.jsonl (clock fields removed), results.csv (time
/// columns removed), results-paired.csv and analysis/*.csv must equal the committed files bit for
/// bit. A record made on another kind of CPU (vendor, AVX-512 or not) is compared within a stated
/// tolerance when the bits differ, and the test output says so.
/// </summary>
public sealed class RegressionRecordTests : IDisposable
{
    /// <summary>The recorded recipes: scripts/regression-record.sh's RECIPES, in its order.</summary>
    public static readonly string[] Recipes =
        { "tiny", "killable", "resumable", "learns", "analyze_tiny", "baseline", "own", "paper", "tiny_sweep", "folder", "folder_rgb", "folder_teacher_size" };

    /// <summary>
    /// LibTorch's CPU code paths, pinned so that AVX2 and AVX-512 machines compute alike where the
    /// libraries allow it: ATen's vectorised kernels, oneDNN's JIT kernels, MKL's BLAS (the same values as the script).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Pinning = new Dictionary<string, string>
    {
        ["ATEN_CPU_CAPABILITY"] = "avx2",
        ["DNNL_MAX_CPU_ISA"] = "AVX2",
        ["MKL_CBWR"] = "COMPATIBLE",
        ["MKL_ENABLE_INSTRUCTIONS"] = "AVX2",
    };

    private readonly string _root = Path.Combine(Path.GetTempPath(), "midistill-regression-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _log;

    public RegressionRecordTests(ITestOutputHelper log) => _log = log;

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>Read from the source tree, not copied to the output: a re-record that drops a file leaves no stale copy behind.</summary>
    private static string Records => Path.Combine(Executable.RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Regression", "Records");

    private static string ImageFolders => Path.Combine(Executable.RepoRoot(), "tests", "MiDistill.Runtime.Tests", "Regression", "Data");

    public static TheoryData<string> RecordedRecipes => new(Recipes);

    [Theory]
    [MemberData(nameof(RecordedRecipes))]
    public void A_fresh_run_computes_what_the_record_holds(string recipe)
    {
        var record = Path.Combine(Records, recipe);
        Assert.True(Directory.Exists(record), $"no record for `{recipe}` in {record}; make it with scripts/regression-record.sh --only {recipe}");

        var runs = Path.Combine(_root, "runs");
        var args = new List<string> { "run", recipe, "--threads", "1", "--workers", "1" };
        if (recipe.StartsWith("folder", StringComparison.Ordinal)) args.AddRange(new[] { "--data", Path.Combine(ImageFolders, recipe) });
        args.AddRange(new[] { "--output", runs, "--cache", Path.Combine(_root, "cache") });
        var watch = Stopwatch.StartNew();
        using var child = ChildRun.Start(args, Pinning);
        var (code, output, error) = child.Wait();
        Assert.True(code == 0, $"`{recipe}` failed ({code}):\n{output}\n{error}");
        var folder = Directory.GetDirectories(Directory.GetDirectories(runs).Single()).Single();

        var recorded = RecordFiles.FromRecord(record);
        var fresh = RecordFiles.FromRun(folder);
        var recordedCpu = CpuKind.Read(Path.Combine(record, RecordFiles.CpuFile));
        var thisCpu = CpuKind.OfThisMachine();
        var difference = RecordComparison.FirstDifference(recorded, fresh);
        _log.WriteLine($"`{recipe}`: ran in {watch.Elapsed.TotalSeconds:0.0} s on {thisCpu}; record made on {recordedCpu}");
        if (difference is null)
        {
            _log.WriteLine($"`{recipe}`: {fresh.Count} files equal the record bit for bit" + (recordedCpu.SameKind(thisCpu) ? "" : " (across CPU kinds)"));
            return;
        }

        var rerecord = $"If the change of numbers is intended, re-record: scripts/regression-record.sh --only {recipe} (docs/testing.md).";
        if (recordedCpu.SameKind(thisCpu))
            Assert.Fail($"`{recipe}` computes something other than its regression record ({record}), on the same kind of CPU ({thisCpu}):\n{difference}\n{rerecord}");

        var (failure, inexact, largest) = RecordComparison.WithinCrossCpuTolerance(recorded, fresh);
        var crossCpu = $"CROSS-CPU comparison for `{recipe}`: the record was made on {recordedCpu}, this machine is {thisCpu}, and the runs are not bit-identical " +
                       $"(first difference: {difference.Split('\n')[0]}). Compared instead within the cross-CPU tolerance: {RecordComparison.Tolerance}.";
        _log.WriteLine(crossCpu);
        if (failure is not null)
            Assert.Fail($"{crossCpu}\nOutside the tolerance: {failure}\n{rerecord}");
        _log.WriteLine($"`{recipe}`: within the cross-CPU tolerance; {inexact} values differ in their bits, the largest relative difference at {largest}. Exact only on a {recordedCpu.Kind} CPU.");
    }

    [Fact]
    public void The_records_are_those_of_the_recorded_recipes_and_the_quickstart()
    {
        var folders = Directory.GetDirectories(Records).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Recipes.Append("quickstart").Order(StringComparer.Ordinal), folders);
        foreach (var folder in Directory.GetDirectories(Records))
            foreach (var file in new[] { "metrics.jsonl", "results.csv", RecordFiles.CpuFile })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} is missing from {folder}");
    }

    [Fact]
    public void The_script_records_the_same_recipes_with_the_same_pinning()
    {
        var script = File.ReadAllText(Path.Combine(Executable.RepoRoot(), "scripts", "regression-record.sh"));
        Assert.Contains($"RECIPES=({string.Join(" ", Recipes)})", script);
        Assert.Contains("export " + string.Join(" ", Pinning.Select(p => $"{p.Key}={p.Value}")), script);
        Assert.Contains("--threads 1 --workers 1", script);
    }

    [Fact]
    public void A_changed_number_is_reported_with_its_line_and_field()
    {
        var record = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["metrics.jsonl"] = "{\"stage\":\"finetune\",\"variant\":\"remem\",\"seed\":7,\"replicate\":0,\"epoch\":2,\"loss\":1.5932174921035767,\"val_acc\":0.4}\n",
            ["results.csv"] = "variant,teacher acc\nremem,0.385\n",
        };
        var run = new SortedDictionary<string, string>(record, StringComparer.Ordinal)
        {
            ["metrics.jsonl"] = record["metrics.jsonl"].Replace("1.5932174921035767", "1.5932174921035769"),
        };
        var message = RecordComparison.FirstDifference(record, run);
        Assert.NotNull(message);
        Assert.StartsWith("metrics.jsonl line 1 (stage finetune, variant remem, seed 7, epoch 2): field `loss` is 1.5932174921035767 in the record and 1.5932174921035769 in this run", message);
        // The last bit of a loss is within the cross-CPU tolerance; a tenth of it is not, nor is an accuracy two images away.
        Assert.Null(RecordComparison.WithinCrossCpuTolerance(record, run).Failure);
        run["metrics.jsonl"] = record["metrics.jsonl"].Replace("1.5932174921035767", "1.75");
        Assert.Contains("field `loss`: 1.5932174921035767 in the record, 1.75 in this run", RecordComparison.WithinCrossCpuTolerance(record, run).Failure);
        run["metrics.jsonl"] = record["metrics.jsonl"];
        run["results.csv"] = "variant,teacher acc\nremem,0.39\n";      // 77 against 78 of 200 test images
        Assert.Null(RecordComparison.WithinCrossCpuTolerance(record, run).Failure);
        run["results.csv"] = "variant,teacher acc\nremem,0.395\n";     // two images
        Assert.Contains("more than one image of 200", RecordComparison.WithinCrossCpuTolerance(record, run).Failure);
        run["results.csv"] = "variant,teacher acc,train (s)\nremem,0.385,1.2\n";
        Assert.Contains("line 1 (header): the fields differ", RecordComparison.FirstDifference(record, run));
    }

    [Fact]
    public void The_clock_fields_and_time_columns_are_removed_and_nothing_else()
    {
        var line = "{\"stage\":\"pretrain\",\"variant\":\"shared\",\"seed\":0,\"replicate\":0,\"epoch\":1,\"time\":\"2026-12-08T00:49:25.107+00:00\",\"elapsed_s\":0.002," +
                   "\"loss\":1.572472381591797,\"train_acc\":0.30666666666666664,\"lr\":0.001,\"epoch_s\":0.0787964,\"data_frac\":0.08249862326766469,\"teacher bal acc\":null}";
        Assert.Equal("{\"stage\":\"pretrain\",\"variant\":\"shared\",\"seed\":0,\"replicate\":0,\"epoch\":1,\"loss\":1.572472381591797,\"train_acc\":0.30666666666666664,\"lr\":0.001,\"teacher bal acc\":null}",
            RecordFiles.StripMetricsLine(line));
        Assert.Equal(new[] { "variant,teacher acc,seeds", "labels,,2", "kd,0.3525,2" },
            RecordFiles.StripTimeColumns(new[] { "variant,teacher acc,seeds,pretrain (s),train (s)", "labels,,2,0,0.8", "kd,0.3525,2,0.1,0.4" }));
    }
}

/// <summary>A CPU as the record describes it (cpu.txt): what can change LibTorch's bits is the vendor and AVX-512.</summary>
internal sealed record CpuKind(string Model, string Vendor, bool Avx512F)
{
    public string Kind => $"{Vendor} {(Avx512F ? "with" : "without")} AVX-512";

    public bool SameKind(CpuKind other) => Vendor == other.Vendor && Avx512F == other.Avx512F;

    public override string ToString() => $"{Model} ({Kind})";

    /// <summary>The lines "model name: ...", "vendor: ...", "avx512f: yes|no" of a cpu.txt.</summary>
    public static CpuKind Read(string cpuTxt)
    {
        var fields = File.ReadAllLines(cpuTxt).Where(l => l.Contains(':'))
            .ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim());
        return new CpuKind(fields.GetValueOrDefault("model name", "?"), fields.GetValueOrDefault("vendor", "?"), fields.GetValueOrDefault("avx512f") == "yes");
    }

    public static CpuKind OfThisMachine()
    {
        var lines = File.ReadAllLines("/proc/cpuinfo");
        string First(string key) =>
            lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal) && l.Contains(':')) is string l ? l[(l.IndexOf(':') + 1)..].Trim() : "?";
        return new CpuKind(First("model name"), First("vendor_id"), First("flags").Split(' ').Contains("avx512f"));
    }
}
