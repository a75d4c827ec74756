using System.Collections.Generic;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>What a step did for a unit.</summary>
public enum StepOutcome
{
    /// <summary>Computed now.</summary>
    Ran,
    /// <summary>Done before (a resumed run): its artefact was loaded because a later step needs it.</summary>
    Loaded,
    /// <summary>Done before, and nothing that runs now needs it.</summary>
    Skipped,
}

/// <summary>
/// Watches a run as the runner executes its plan. Presentation and reporting (the results table,
/// the analyses' summary, the HTML report, the test-metrics line) observe these events; the runner
/// never calls them inline.
/// </summary>
public interface IRunObserver
{
    void StepFinished(UnitContext unit, RunStep step, StepOutcome outcome) { }

    /// <summary>A unit's test result was computed now (before the run state records it).</summary>
    void ResultComputed(UnitContext unit, VariantResult result) { }

    /// <summary>Every unit has its result (in plan order).</summary>
    void RunFinished(RunContext run, IReadOnlyList<VariantResult> results) { }
}
