using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MiDistill.Runtime.Tests.Reporting;
using Xunit.Abstractions;

namespace MiDistill.Runtime.Tests.EndToEnd;

/// <summary>
/// One real run of the `tiny` recipe (SAM with MLP reweighting, and a vanilla variant) as a child
/// process with redirected output, shared by the tests that read what it left behind.
/// </summary>
public sealed class TinyReportingRun : IDisposable
{
    public TinyReportingRun()
    {
        Root = Path.Combine(Path.GetTempPath(), "midistill-reporting-" + Guid.NewGuid().ToString("N"));
        Runs = Path.Combine(Root, "runs");
        Cache = Path.Combine(Root, "cache");
        using var child = ChildRun.Start(new[] { "run", "tiny", "--output", Runs, "--cache", Cache });
        var (code, output, error) = child.Wait();
        if (code != 0) throw new InvalidOperationException($"the tiny run failed ({code}):\n{output}\n{error}");
        Output = output;
        Folder = Directory.GetDirectories(Path.Combine(Runs, "tiny")).Single();
    }

    public string Root { get; }
    public string Runs { get; }
    public string Cache { get; }
    public string Folder { get; }
    /// <summary>Standard output, redirected (a pipe, as in CI).</summary>
    public string Output { get; }

    public List<JsonElement> MetricsLines() =>
        File.ReadAllLines(Path.Combine(Folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}

public sealed class ReportingRunTests : IClassFixture<TinyReportingRun>
{
    private static readonly HashSet<string> Fixed = new() { "stage", "variant", "seed", "replicate", "epoch", "time", "elapsed_s" };
    private readonly TinyReportingRun _run;
    private readonly ITestOutputHelper _log;

    public ReportingRunTests(TinyReportingRun run, ITestOutputHelper log)
    {
        _run = run;
        _log = log;
    }

    [Fact]
    public void TensorBoard_events_hold_every_metrics_value_at_its_epoch_and_nothing_else()
    {
        // Expected from metrics.jsonl: run <variant>/seed<s>, tag <stage>/<metric> (spaces as _), step = epoch, value as float.
        var expected = new List<string>();
        foreach (var line in _run.MetricsLines())
        {
            var run = $"{line.GetProperty("variant").GetString()}/seed{line.GetProperty("seed").GetInt32()}";
            var tag = line.GetProperty("stage").GetString() + "/";
            foreach (var p in line.EnumerateObject().Where(p => !Fixed.Contains(p.Name)))
            {
                float value = p.Value.ValueKind == JsonValueKind.Null ? float.NaN : (float)p.Value.GetDouble();
                expected.Add($"{run} {tag}{p.Name.Replace(' ', '_')} {line.GetProperty("epoch").GetInt32()} {value.ToString("R", CultureInfo.InvariantCulture)}");
            }
        }

        var tensorboard = Path.Combine(_run.Folder, "tensorboard");
        var files = Directory.GetFiles(tensorboard, "events.out.tfevents.*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var actual = new List<string>();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var file in files)
        {
            var events = TensorBoardEvents.Read(file);
            Assert.Equal("brain.Event:2", events[0].FileVersion);
            var run = Path.GetRelativePath(tensorboard, Path.GetDirectoryName(file)!).Replace('\\', '/');
            foreach (var e in events.Skip(1))
            {
                // Wall time in seconds since 1970, as TensorBoard reads it: within the last hour.
                Assert.InRange(e.WallTime, now - 3600, now + 60);
                actual.AddRange(e.Scalars.Select(s => $"{run} {s.Tag} {e.Step} {s.Value.ToString("R", CultureInfo.InvariantCulture)}"));
            }
        }
        expected.Sort(StringComparer.Ordinal);
        actual.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
        // The run's parts are all there: both variants' fine-tuning and distillation, the evaluation.
        foreach (var tag in new[] { "remem/seed7 finetune/sam_perturbation_norm", "remem/seed7 finetune/mlp_alpha_1", "vanilla/seed7 distill/val_acc", "remem/seed7 evaluate/student_acc" })
            Assert.Contains(actual, a => a.StartsWith(tag + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void Sam_records_its_perturbation_norm_rho_and_the_alphas_follow_the_ramp()
    {
        var finetune = _run.MetricsLines().Where(l => l.GetProperty("stage").GetString() == "finetune").ToList();
        var remem = finetune.Where(l => l.GetProperty("variant").GetString() == "remem").ToList();
        Assert.Equal(2, remem.Count);
        foreach (var line in remem)
        {
            // ||e|| = rho ||g|| / (||g|| + 1e-12) = rho (0.05) for plain SAM, at the epoch's last step.
            Assert.Equal(0.05, line.GetProperty("sam_perturbation_norm").GetDouble(), 1e-6);
            // mlp(top: 1, alpha: 0.5, schedule: ramp(epochs: 2)): the top block's alpha goes 1 -> 0.5 over two epochs.
            int epoch = line.GetProperty("epoch").GetInt32();
            Assert.Equal(1.0, line.GetProperty("mlp_alpha_0").GetDouble());
            Assert.Equal(1 - 0.5 * epoch / 2, line.GetProperty("mlp_alpha_1").GetDouble(), 1e-12);
        }
        // Cross-entropy fine-tuning has no perturbation; its alphas stay 1.
        foreach (var line in finetune.Where(l => l.GetProperty("variant").GetString() == "vanilla"))
        {
            Assert.False(line.TryGetProperty("sam_perturbation_norm", out _));
            Assert.Equal(1.0, line.GetProperty("mlp_alpha_1").GetDouble());
        }
    }

    [Fact]
    public void Redirected_output_is_exactly_the_plain_one_line_per_epoch_format()
    {
        Assert.DoesNotContain('\r', _run.Output);
        Assert.DoesNotContain('\u001b', _run.Output);
        var lines = _run.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var epochLine = new Regex(@"^\[(?<stage>\w+)/(?<variant>[\w@]+)\] epoch (?<epoch>\d+)/(?<epochs>\d+)(?<values>.*)  \d+\.\ds/epoch  ETA \d+:\d\d$");
        // Every training metrics line appears once on the console, its values printed as they always were:
        // accuracies in %, 0.000 for values from 0.01, three significant digits below; nothing else (SAM's norm, alphas).
        var expected = _run.MetricsLines().Where(l => l.GetProperty("stage").GetString() != "evaluate").Select(l =>
        {
            var values = string.Concat(l.EnumerateObject()
                .Where(p => !Fixed.Contains(p.Name) && p.Name is not "sam_perturbation_norm" && !p.Name.StartsWith("mlp_alpha_", StringComparison.Ordinal))
                .Select(p => "  " + p.Name + " " + Plain(p.Name, p.Value.GetDouble())));
            return $"[{l.GetProperty("stage").GetString()}/{l.GetProperty("variant").GetString()}] epoch {l.GetProperty("epoch").GetInt32()}{values}";
        }).ToList();
        var printed = lines.Select(l => epochLine.Match(l)).Where(m => m.Success)
            .Select(m => $"[{m.Groups["stage"].Value}/{m.Groups["variant"].Value}] epoch {m.Groups["epoch"].Value}{m.Groups["values"].Value}").ToList();
        Assert.Equal(expected, printed);

        // The other lines are the ones a run has always printed.
        var known = new Regex(@"^(MiDistill: recipe `tiny` \(tiny\.distill\), 2 variant\(s\), device cpu \(chosen by `device auto`: the LibTorch backend loaded has no CUDA\), 1 thread\(s\) \(OpenMP.+\), \d+ data worker\(s\)|run folder: .+|\[\w+/seed7\] (data|test|no teacher): .+|\[pretrain\] .+|\[(finetune|distill)/\w+\] (kept epoch|the teacher|no validation|transfer set).+|Results of `tiny` .+|\|.+\||Saved to .+|Report: .+/report\.html|)$");
        var unknown = lines.Where(l => !epochLine.IsMatch(l) && !known.IsMatch(l)).ToList();
        Assert.True(unknown.Count == 0, "unexpected lines:\n" + string.Join("\n", unknown));
    }

    // The console's number format (ConsoleProgress), written out again here from its documentation.
    private static string Plain(string key, double value)
    {
        if (key.Contains("acc", StringComparison.OrdinalIgnoreCase) && value is >= 0 and <= 1)
            return (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        return value == 0 || Math.Abs(value) >= 0.01
            ? value.ToString("0.000", CultureInfo.InvariantCulture)
            : value.ToString("G3", CultureInfo.InvariantCulture);
    }

    [Fact]
    public void The_report_opens_in_chromium_with_every_image_decoded_the_runs_numbers_and_no_request()
    {
        var report = Path.Combine(_run.Folder, "report.html");
        Assert.True(File.Exists(report), "the run wrote no report.html");
        var work = Path.Combine(_run.Root, "browser-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);

        // 1. The page as written: a screenshot (kept as a test artifact) and chromium's net log of every request.
        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "report-screenshot.png");
        var netLog = Path.Combine(work, "net.json");
        Chromium.Run(Path.Combine(work, "profile1"), "--window-size=1100,2600", $"--screenshot={screenshot}", $"--log-net-log={netLog}", "--net-log-capture-mode=Everything", new Uri(report).AbsoluteUri);
        _log.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 20_000, "the screenshot is (nearly) empty");
        var requests = NetworkUrls(File.ReadAllText(netLog));
        Assert.True(requests.Count == 0, "the report made requests:\n" + string.Join("\n", requests));

        // The net log does see a page's requests: the same check on a page that asks for an image catches it.
        var leaky = Path.Combine(work, "leaky.html");
        File.WriteAllText(leaky, "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/probe.png\"></body></html>");
        var leakyLog = Path.Combine(work, "leaky.json");
        Chromium.Run(Path.Combine(work, "profile2"), $"--log-net-log={leakyLog}", "--net-log-capture-mode=Everything", "--virtual-time-budget=3000", "--dump-dom", new Uri(leaky).AbsoluteUri);
        Assert.Contains(NetworkUrls(File.ReadAllText(leakyLog)), u => u.Contains("127.0.0.1:9", StringComparison.Ordinal));

        // 2. A copy with a probe script (the page's own policy forbids scripts, so the copy drops it):
        // after load, every image's decoded size goes into the DOM that --dump-dom prints.
        var html = File.ReadAllText(report);
        var policy = new Regex("<meta http-equiv=\"Content-Security-Policy\"[^>]*>");
        Assert.Matches(policy, html);
        var probe = Path.Combine(work, "probe.html");
        File.WriteAllText(probe, policy.Replace(html, "").Replace("</body>",
            "<script>window.addEventListener('load', () => document.body.setAttribute('data-images', " +
            "JSON.stringify([...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]))));</script></body>"));
        var dom = Chromium.Run(Path.Combine(work, "profile3"), "--virtual-time-budget=10000", "--dump-dom", new Uri(probe).AbsoluteUri);
        var images = Regex.Match(dom, "data-images=\"([^\"]*)\"");
        Assert.True(images.Success, "the probe did not run:\n" + dom[..Math.Min(2000, dom.Length)]);
        var sizes = JsonDocument.Parse(WebUtility.HtmlDecode(images.Groups[1].Value)).RootElement.EnumerateArray().ToList();
        // Loss and accuracy for fine-tuning and distillation (pretraining came from the cache? no: this run pretrained).
        Assert.True(sizes.Count >= 4, $"only {sizes.Count} images in the report");
        foreach (var size in sizes)
        {
            Assert.True(size[0].GetBoolean());
            Assert.Equal(640, size[1].GetInt32());
            Assert.Equal(400, size[2].GetInt32());
        }

        // The results table in the browser's DOM has the run's numbers (results.csv, as percentages).
        var results = Regex.Match(dom, "<div id=\"results\">(.*?)</div>", RegexOptions.Singleline);
        Assert.True(results.Success);
        var rows = Regex.Matches(results.Groups[1].Value, "<tr>(.*?)</tr>", RegexOptions.Singleline)
            .Select(r => Regex.Matches(r.Groups[1].Value, "<t[hd][^>]*>(.*?)</t[hd]>").Select(c => WebUtility.HtmlDecode(c.Groups[1].Value)).ToList()).ToList();
        var csv = File.ReadAllLines(Path.Combine(_run.Folder, "results.csv")).Select(l => l.Split(',')).ToList();
        Assert.Equal(csv[0], rows[0]);
        foreach (var line in csv.Skip(1))
        {
            var row = rows.Single(r => r[0] == line[0]);
            for (int c = 1; c < line.Length; c++)
            {
                double value = double.Parse(line[c], CultureInfo.InvariantCulture);
                var shown = csv[0][c].EndsWith("(s)", StringComparison.Ordinal)
                    ? value.ToString("0.###", CultureInfo.InvariantCulture)
                    : (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
                Assert.Equal(shown, row[c]);
            }
        }
    }

    // URLs of the requests a page started, from a chromium net log (URL_REQUEST_START_JOB events). The
    // browser's own traffic (update checks, accounts) carries the initiator "not an origin"; a page's
    // requests carry the page's origin ("null" for a file:// page).
    private static List<string> NetworkUrls(string netLog)
    {
        using var log = JsonDocument.Parse(netLog);
        int startJob = log.RootElement.GetProperty("constants").GetProperty("logEventTypes").GetProperty("URL_REQUEST_START_JOB").GetInt32();
        return log.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("type").GetInt32() == startJob && e.TryGetProperty("params", out var p) && p.TryGetProperty("url", out _))
            .Select(e => e.GetProperty("params"))
            .Where(p => !(p.TryGetProperty("initiator", out var i) && i.GetString() == "not an origin"))
            .Select(p => p.GetProperty("url").GetString()!)
            .Where(u => !u.StartsWith("file:", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal))
            .Distinct().ToList();
    }

    [Fact]
    public void The_report_command_writes_the_same_page_again_from_the_folder()
    {
        // The same folder name: the page's title names the folder.
        var copy = Path.Combine(_run.Root, "copy-" + Guid.NewGuid().ToString("N")[..8], Path.GetFileName(_run.Folder));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(_run.Folder).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal) && !f.EndsWith("report.html", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        using var child = ChildRun.Start(new[] { "report", copy });
        var (code, output, error) = child.Wait();
        Assert.True(code == 0, error);
        Assert.Equal($"Report: {Path.Combine(copy, "report.html")}\n", output.Replace("\r", ""));
        Assert.Equal(File.ReadAllText(Path.Combine(_run.Folder, "report.html")), File.ReadAllText(Path.Combine(copy, "report.html")));
    }

    [Fact]
    public void Report_and_compare_name_what_is_wrong_with_their_folders()
    {
        var missing = Path.Combine(_run.Root, "no-such-run");
        using (var child = ChildRun.Start(new[] { "report", missing }))
        {
            var (code, _, error) = child.Wait();
            Assert.Equal(1, code);
            Assert.Equal($"error: {missing}: no such run folder\n", error.Replace("\r", ""));
        }
        var damaged = Path.Combine(_run.Root, "damaged-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(damaged);
        File.Copy(Path.Combine(_run.Folder, "settings.json"), Path.Combine(damaged, "settings.json"));
        File.WriteAllText(Path.Combine(damaged, "metrics.jsonl"), File.ReadAllLines(Path.Combine(_run.Folder, "metrics.jsonl"))[0] + "\n{\"stage\": 3}\n");
        using (var child = ChildRun.Start(new[] { "report", damaged }))
        {
            var (code, _, error) = child.Wait();
            Assert.Equal(1, code);
            Assert.StartsWith($"error: {Path.Combine(damaged, "metrics.jsonl")}(2): not a metrics line: ", error);
        }
        // One folder is a usage error (exit 2), found by the parser before any folder is read.
        using (var child = ChildRun.Start(new[] { "compare", _run.Folder }))
        {
            var (code, _, error) = child.Wait();
            Assert.Equal(2, code);
            Assert.Contains("`compare` needs at least two run folders", error);
        }
    }
}
