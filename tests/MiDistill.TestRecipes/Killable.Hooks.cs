using System;
using System.Diagnostics;
using MiDistill.Runtime.Training;

namespace MiDistill.Recipes;

// Test-only: kills its own process (SIGKILL, as `kill -9`) right after the metrics line of the
// epoch named by MIDISTILL_TEST_KILL_AT ("stage:epoch") is written, before that epoch's checkpoint.
public sealed partial class KillableRecipe
{
    partial void OnEpochCompleted(EpochReport report)
    {
        if (Environment.GetEnvironmentVariable("MIDISTILL_TEST_KILL_AT") == $"{report.Stage}:{report.Epoch}")
            Process.GetCurrentProcess().Kill();
    }
}
