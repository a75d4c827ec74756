using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using MiDistill.Runtime.Training;

namespace MiDistill.Recipes;

// Test-only, right after the metrics line of an epoch ("stage:epoch") is written and before that
// epoch's checkpoint: MIDISTILL_TEST_KILL_AT kills the process (SIGKILL, as `kill -9`);
// MIDISTILL_TEST_WAIT_AT blocks until the file MIDISTILL_TEST_GO_FILE exists.
public sealed partial class KillableRecipe
{
    partial void OnEpochCompleted(EpochReport report)
    {
        var here = $"{report.Stage}:{report.Epoch}";
        if (Environment.GetEnvironmentVariable("MIDISTILL_TEST_KILL_AT") == here)
            Process.GetCurrentProcess().Kill();
        if (Environment.GetEnvironmentVariable("MIDISTILL_TEST_WAIT_AT") == here)
            while (!File.Exists(Environment.GetEnvironmentVariable("MIDISTILL_TEST_GO_FILE")))
                Thread.Sleep(20);
    }
}
