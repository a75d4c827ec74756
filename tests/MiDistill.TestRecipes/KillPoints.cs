using System;
using System.Diagnostics;
using System.Threading;
using MiDistill.Runtime.Checkpoints;

namespace MiDistill.Recipes;

// Test-only, for the kill tests' child processes (Program.cs installs it before anything runs):
// MIDISTILL_TEST_KILL_BEFORE_RENAME=N kills this process (SIGKILL, as `kill -9`) at its N-th atomic
// write (stage checkpoint, model file, state.json), after the temporary file is written and flushed
// and before it is renamed over the real one; N:SUFFIX counts only files whose name ends in SUFFIX
// (`.ckpt`, `.safetensors`, `state.json`). A line on stderr says where, for the test's log.
internal static class KillPoints
{
    public static void Install()
    {
        // MIDISTILL_TEST_WAIT_IN_FILL=FILE: the teacher-output cache's filler waits, holding the
        // entry's lock, until FILE exists (the two-process cache test queues another run behind it).
        var go = Environment.GetEnvironmentVariable("MIDISTILL_TEST_WAIT_IN_FILL");
        if (!string.IsNullOrEmpty(go))
            MiDistill.Runtime.Training.TeacherCache.FillStarting = path =>
            {
                Console.WriteLine($"test: holding {path} until {go} exists");
                Console.Out.Flush();
                while (!System.IO.File.Exists(go)) Thread.Sleep(20);
            };
        var text = Environment.GetEnvironmentVariable("MIDISTILL_TEST_KILL_BEFORE_RENAME");
        if (string.IsNullOrEmpty(text)) return;
        var parts = text.Split(':', 2);
        int target = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), seen = 0;
        var suffix = parts.Length > 1 ? parts[1] : "";
        TestSeams.BeforeRename = path =>
        {
            if (!path.EndsWith(suffix, StringComparison.Ordinal) || Interlocked.Increment(ref seen) != target) return;
            Console.Error.WriteLine($"test: killed before renaming {path} (atomic write {text})");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        };
    }
}
