using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace MiDistill.Runtime.RunFolders;

/// <summary>
/// One run's folder, <c>&lt;outputRoot&gt;/&lt;recipe&gt;/&lt;yyyyMMdd-HHmmss&gt;-&lt;label&gt;/</c>, holding the exact
/// recipe text and resolved settings from the start, so even a run that crashes can be reproduced.
/// It keeps the run's files (settings, metrics.jsonl, checkpoints/, the lock) and shows nothing:
/// TensorBoard, the report and the console are presentation, which observes the run.
/// </summary>
public sealed class RunFolder : IDisposable
{
    public const string RecipeFileName = "recipe.distill";
    public const string SettingsFileName = "settings.json";
    /// <summary>
    /// The SHA-256 of settings.json as written when the run started, in <c>sha256sum</c>'s format
    /// (<c>&lt;64 hex digits&gt;  settings.json</c>): resume checks the settings against it. A sidecar
    /// rather than a field inside settings.json, so the settings file stays plain JSON of the options
    /// and folders written before it existed keep their format.
    /// </summary>
    public const string SettingsChecksumFileName = "settings.json.sha256";
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
    }

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
    public MetricsWriter Metrics => _metrics ??= new MetricsWriter(System.IO.Path.Combine(Path, MetricsFileName));

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
        WriteSettings(path, settingsJson);
        File.WriteAllText(System.IO.Path.Combine(path, RunEnvironment.FileName), RunEnvironment.Current().ToJson(), utf8);
        return new RunFolder(System.IO.Path.GetFullPath(path), runLock);
    }

    /// <summary>A run in exactly <paramref name="path"/> (a sweep unit's run folder), which must not hold a run yet.</summary>
    public static RunFolder CreateAt(string path, string recipeSourceText, string settingsJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(System.IO.Path.Combine(path, SettingsFileName)))
            throw new IOException($"{System.IO.Path.GetFullPath(path)} already holds a run; resume it instead of starting another there");
        Directory.CreateDirectory(path);
        var runLock = Lock(path);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        File.WriteAllText(System.IO.Path.Combine(path, RecipeFileName), recipeSourceText, utf8);
        WriteSettings(path, settingsJson);
        // A unit runs on its own node (or GPU): its folder says where its numbers came from, as a run's does.
        File.WriteAllText(System.IO.Path.Combine(path, RunEnvironment.FileName), RunEnvironment.Current().ToJson(), utf8);
        return new RunFolder(System.IO.Path.GetFullPath(path), runLock);
    }

    /// <summary>
    /// settings.json and, first, its checksum: a kill between the two leaves a checksum that a torn
    /// settings file does not match, never a torn file that passes for an old folder's.
    /// </summary>
    private static void WriteSettings(string folder, string settingsJson)
    {
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(settingsJson.EndsWith('\n') ? settingsJson : settingsJson + "\n");
        WriteChecksum(folder, bytes);
        File.WriteAllBytes(System.IO.Path.Combine(folder, SettingsFileName), bytes);
    }

    private static void WriteChecksum(string folder, byte[] settings) =>
        File.WriteAllText(System.IO.Path.Combine(folder, SettingsChecksumFileName), $"{Sha256(settings)}  {SettingsFileName}\n", Encoding.ASCII);

    private static string Sha256(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>
    /// The text of a run folder's settings.json, checked against settings.json.sha256: changed by hand
    /// or damaged, it is an error naming the file, since resume would otherwise run other settings
    /// than the run started with. A folder written before the checksum existed has none; its
    /// settings are returned as they are and <paramref name="unchecked"/> is true.
    /// </summary>
    public static string ReadSettings(string folder, out bool @unchecked)
    {
        var path = System.IO.Path.Combine(folder, SettingsFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{folder}: not a MiDistill run folder ({SettingsFileName} is missing)", path);
        var bytes = File.ReadAllBytes(path);
        var sidecar = System.IO.Path.Combine(folder, SettingsChecksumFileName);
        @unchecked = !File.Exists(sidecar);
        if (!@unchecked)
        {
            var recorded = File.ReadAllText(sidecar).Trim();
            var expected = recorded.Length >= 64 && recorded[64..] == "  " + SettingsFileName ? recorded[..64] : null;
            if (expected is null || !expected.All(Uri.IsHexDigit))
                throw new InvalidDataException($"{sidecar}: not a checksum of {SettingsFileName} (expected `<64 hex digits>  {SettingsFileName}`, found `{(recorded.Length > 80 ? recorded[..80] + "..." : recorded)}`); it is damaged, so the settings cannot be checked: start a new run of the recipe");
            var actual = Sha256(bytes);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{path}: the run's settings were changed or damaged since the run started (SHA-256 {actual}, recorded {expected.ToLowerInvariant()} in {SettingsChecksumFileName}); resume continues only with the settings a run started with: restore the file, or start a new run of the recipe");
        }
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The settings of this (opened, locked) run, checked as <see cref="ReadSettings(string, out bool)"/> does.
    /// A folder written before the checksum existed gets one now, over the settings as they are, with a
    /// note on <paramref name="notes"/>: later resumes check them.
    /// </summary>
    public string ReadSettings(TextWriter notes)
    {
        var text = ReadSettings(Path, out bool @unchecked);
        if (@unchecked)
        {
            WriteChecksum(Path, File.ReadAllBytes(System.IO.Path.Combine(Path, SettingsFileName)));
            notes.WriteLine($"note: {SettingsFileName} has no checksum (a run folder written before MiDistill kept one); resuming with it as it is, and recording its checksum in {SettingsChecksumFileName} now");
        }
        return text;
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
        try
        {
            // Settings changed since the run started stop a resume before it changes anything.
            ReadSettings(path, out _);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
        folder.DeleteStaleTemporaries();
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
    /// Deletes <c>checkpoints/*.&lt;pid&gt;.tmp</c>: files (stage checkpoints, model files, the run
    /// state) whose writer was killed between writing them and renaming them over the real file.
    /// Every writer into checkpoints/ holds the folder's lock, so while this process holds it no
    /// such file is anyone's work in progress; left alone they would pile up, one checkpoint's size each.
    /// </summary>
    private void DeleteStaleTemporaries()
    {
        var checkpoints = System.IO.Path.Combine(Path, CheckpointsFolderName);
        if (!Directory.Exists(checkpoints)) return;
        foreach (var file in Directory.EnumerateFiles(checkpoints, "*.tmp"))
        {
            var stem = System.IO.Path.GetFileNameWithoutExtension(file);
            var pid = System.IO.Path.GetExtension(stem).TrimStart('.');
            if (pid.Length > 0 && pid.All(char.IsAsciiDigit)) File.Delete(file);
        }
    }

    /// <summary>
    /// Cuts metrics.jsonl back to <paramref name="length"/> bytes: on resume, lines written after the
    /// checkpoint being resumed are written again by the replayed steps. True when lines were cut
    /// (what mirrors the file, such as TensorBoard's events, then reads it again).
    /// </summary>
    public bool TruncateMetrics(long length)
    {
        _metrics?.Dispose();
        _metrics = null;
        var file = System.IO.Path.Combine(Path, MetricsFileName);
        if (!File.Exists(file)) return false;
        bool cut;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            cut = stream.Length > length;
            if (cut) stream.SetLength(length);
        }
        return cut;
    }

    /// <summary>The lines of metrics.jsonl as the file now holds them (none before the first).</summary>
    public string[] MetricsLines()
    {
        var file = System.IO.Path.Combine(Path, MetricsFileName);
        return File.Exists(file) ? File.ReadAllLines(file) : Array.Empty<string>();
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
