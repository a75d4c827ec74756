using System;
using System.Diagnostics;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Recipes;

// The registration of the test project's own step, and a kill switch for the run-plan tests:
// MIDISTILL_TEST_KILL_AT=stage:epoch kills the process (SIGKILL) right after that epoch's metrics line.
public sealed partial class ProbedRecipe
{
    partial void OnPlan(RunPlanBuilder plan) => plan.InsertAfter("distill", new ProbeStep());

    partial void OnEpochCompleted(EpochReport report)
    {
        if (Environment.GetEnvironmentVariable("MIDISTILL_TEST_KILL_AT") == $"{report.Stage}:{report.Epoch}")
            Process.GetCurrentProcess().Kill();
    }
}
