using System;
using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// Executes a <see cref="RunPlan"/>: for each unit, decides which steps run, which load their
/// finished work and which are skipped, runs them in plan order, and commits the run state after
/// every step that keeps its work. Resume is nothing more than running the plan again over the same
/// run folder. Everything else (tables, reports, console lines of results) observes.
/// </summary>
public static class PlanRunner
{
    public static IReadOnlyList<VariantResult> Execute(RunPlan plan, RunContext context, IReadOnlyList<IRunObserver> observers)
    {
        var results = new List<VariantResult>();
        foreach (var unit in plan.Units)
        {
            context.Replicate = unit.Replicate;
            // Evaluation and analysis run no training steps: the thread count is checked here too.
            context.Threads?.CheckIfDue();
            using var current = new UnitContext(context, unit);
            var steps = plan.Steps.Where(s => s.AppliesTo(unit)).ToList();
            var outcomes = Decide(steps, current);
            bool computed = false;
            for (int i = 0; i < steps.Count; i++)
            {
                var step = steps[i];
                switch (outcomes[i])
                {
                    case StepOutcome.Ran:
                        step.Run(current);
                        computed = true;
                        if (step.Produces == Steps.StepArtefacts.Result)
                            foreach (var observer in observers) observer.ResultComputed(current, current.Get(Steps.StepArtefacts.Result));
                        if (step.KeepsWork)
                        {
                            step.Record(current);
                            context.Commit();
                            step.Committed(current);
                        }
                        break;
                    case StepOutcome.Loaded:
                        step.Load(current);
                        break;
                }
                foreach (var observer in observers) observer.StepFinished(current, step, outcomes[i]);
            }
            results.Add(current.Find(Steps.StepArtefacts.Result)
                ?? throw new InvalidOperationException($"unit {unit.Name}: no step of the plan produced its result"));
            // Scopes free every tensor, but native memory behind finalizers waits for a collection (docs: toolchain).
            if (computed) GC.Collect();
        }
        foreach (var observer in observers) observer.RunFinished(context, results);
        return results;
    }

    /// <summary>
    /// Works back from what must happen (steps not done yet, steps that always run, and the unit's
    /// result) to what they need: a needed artefact's step runs when it is not done, else loads.
    /// </summary>
    internal static StepOutcome[] Decide(IReadOnlyList<RunStep> steps, UnitContext unit)
    {
        var outcomes = new StepOutcome[steps.Count];
        var needed = new HashSet<Artefact> { Steps.StepArtefacts.Result };
        for (int i = steps.Count - 1; i >= 0; i--)
        {
            var step = steps[i];
            bool done = step.KeepsWork && step.IsDone(unit);
            bool wanted = step.Produces is { } produced && needed.Contains(produced);
            if (!done && (step.KeepsWork || step.AlwaysRuns || wanted))
            {
                outcomes[i] = StepOutcome.Ran;
                needed.UnionWith(step.Needs(unit.Unit));
            }
            else if (done && (wanted || step.AlwaysRuns))
            {
                outcomes[i] = StepOutcome.Loaded;
                needed.UnionWith(step.LoadNeeds(unit.Unit));
            }
            else
                outcomes[i] = StepOutcome.Skipped;
        }
        return outcomes;
    }
}
