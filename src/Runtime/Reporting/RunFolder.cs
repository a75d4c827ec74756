using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Reporting.Report;
using TensorBoardLog = MiDistill.Runtime.Reporting.TensorBoard.TensorBoardLog;

namespace MiDistill.Runtime.Reporting;

/// <summary>
/// One run's folder, <c>&lt;outputRoot&gt;/&lt;recipe&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;label&gt;/</c>, holding the exact
/// recipe text and resolved settings from the start, so even a run that crashes can be reproduced.
/// </summary>
public sealed class RunFolder : IDisposable
{
    public const string RecipeFileName = "recipe.distill";
    public const string SettingsFileName = "settings.json";
    public const string MetricsFileName = "metrics.jsonl";
    public const string CheckpointsFolderName = "checkpoints";
    /// <summary>Held (an OS file lock) by the one process working in the folder, for its whole life.</summary>
    public const string LockFileName = "run.lock";
    /// <summary>Who holds the lock: readable while the lock itself is not.</summary>
    public const string OwnerFileName = "run.owner";

    private MetricsWriter? _metrics;
    private bool _disposed;
    private readonly FileLock _lock;

    private RunFolder(string path, FileLock runLock)
    {
        Path = path;
        _lock = runLock;
        TensorBoard = new TensorBoardLog(path);
    }

    /// <summary>tensorboard/: every metrics line also goes there as TensorBoard scalars.</summary>
    public TensorBoardLog TensorBoard { get; }

    public string Path { get; }

    /// <summary>checkpoints/, created on first use.</summary>
    public string CheckpointsPath
    {
        get
        {
            var path = System.IO.Path.Combine(Path, CheckpointsFolderName);
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>metrics.jsonl, opened on first use and closed with the folder.</summary>
    public MetricsWriter Metrics => _metrics ??= new MetricsWriter(System.IO.Path.Combine(Path, MetricsFileName), TensorBoard);

    public static RunFolder Create(string outputRoot, string recipe, string label, string recipeSourceText, string settingsJson) =>
        Create(outputRoot, recipe, label, recipeSourceText, settingsJson, DateTime.Now);

    internal static RunFolder Create(string outputRoot, string recipe, string label, string recipeSourceText, string settingsJson, DateTime now)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputRoot);
        ArgumentNullException.ThrowIfNull(recipeSourceText);
        ArgumentNullException.ThrowIfNull(settingsJson);
        var parent = System.IO.Path.Combine(outputRoot, SafeName(recipe));
        Directory.CreateDirectory(parent);
        var stem = now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + SafeName(label);
        var path = System.IO.Path.Combine(parent, stem);
        // Two runs started within the same second get -2, -3, ...; the check is not atomic across
        // processes, which is acceptable for runs started by hand.
        for (int suffix = 2; Directory.Exists(path); suffix++)
            path = System.IO.Path.Combine(parent, $"{stem}-{suffix}");
        Directory.CreateDirectory(path);
        var runLock = Lock(path);

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        File.WriteAllText(System.IO.Path.Combine(path, RecipeFileName), recipeSourceText, utf8);
        File.WriteAllText(System.IO.Path.Combine(path, SettingsFileName), settingsJson.EndsWith('\n') ? settingsJson : settingsJson + "\n", utf8);
        File.WriteAllText(System.IO.Path.Combine(path, RunEnvironment.FileName), RunEnvironment.Current().ToJson(), utf8);
        return new RunFolder(System.IO.Path.GetFullPath(path), runLock);
    }

    /// <summary>Opens the folder of an earlier run (to resume it); it must hold the recipe copy and settings.</summary>
    public static RunFolder Open(string path)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{path}: no such run folder");
        foreach (var required in new[] { RecipeFileName, SettingsFileName })
            if (!File.Exists(System.IO.Path.Combine(path, required)))
                throw new FileNotFoundException($"{path}: not a MiDistill run folder ({required} is missing)", System.IO.Path.Combine(path, required));
        var folder = new RunFolder(System.IO.Path.GetFullPath(path), Lock(path));
        // The events of the process that ran before may hold epochs metrics.jsonl no longer does (or
        // lack its last lines): start them again from the file.
        folder.RebuildTensorBoard();
        return folder;
    }

    /// <summary>
    /// Takes the folder's lock, or fails at once naming the process that holds it: two processes
    /// appending to one metrics.jsonl and one set of checkpoints would corrupt both. The OS drops
    /// the lock when its process dies, so a killed run never leaves its folder locked.
    /// </summary>
    private static FileLock Lock(string folder) =>
        FileLock.TryAcquire(System.IO.Path.Combine(folder, LockFileName), System.IO.Path.Combine(folder, OwnerFileName), out var holder)
        ?? throw new IOException($"{System.IO.Path.GetFullPath(folder)}: the run folder is in use by {holder}; wait for it to finish (or stop it) before running or resuming in it");

    /// <summary>
    /// Cuts metrics.jsonl back to <paramref name="length"/> bytes: on resume, lines written after the
    /// checkpoint being resumed are written again by the replayed steps.
    /// </summary>
    public void TruncateMetrics(long length)
    {
        _metrics?.Dispose();
        _metrics = null;
        var file = System.IO.Path.Combine(Path, MetricsFileName);
        if (!File.Exists(file)) return;
        bool cut;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            cut = stream.Length > length;
            if (cut) stream.SetLength(length);
        }
        if (cut) RebuildTensorBoard();
    }

    private void RebuildTensorBoard()
    {
        var file = System.IO.Path.Combine(Path, MetricsFileName);
        TensorBoard.Rebuild(File.Exists(file) ? File.ReadAllLines(file) : Array.Empty<string>());
    }

    /// <summary>
    /// True while the run has produced nothing: no metrics line, and nothing in checkpoints/ but
    /// the run state. Such a folder is only a stub when the run fails.
    /// </summary>
    public bool IsEmptyRun()
    {
        var metrics = new FileInfo(System.IO.Path.Combine(Path, MetricsFileName));
        if (metrics.Exists && metrics.Length > 0) return false;
        var checkpoints = System.IO.Path.Combine(Path, CheckpointsFolderName);
        return !Directory.Exists(checkpoints)
            || Directory.EnumerateFiles(checkpoints).All(f => System.IO.Path.GetFileName(f) == "state.json");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _metrics?.Dispose();
        _lock.Dispose();
    }

    // Recipe and variant names become folder names: keep them to one safe path segment.
    private static string SafeName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var invalid = System.IO.Path.GetInvalidFileNameChars();
        var safe = new string(name.Trim().Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray());
        return safe is "." or ".." ? safe.Replace('.', '_') : safe;
    }
}
