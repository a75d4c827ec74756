using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// A run compiled before anything runs: its units (variant x seed, in recipe order) and the steps
/// every unit goes through, in order. <see cref="PlanRunner"/> executes it; <see cref="Describe"/>
/// prints it (<c>show &lt;recipe&gt; --plan</c>).
/// </summary>
public sealed class RunPlan
{
    private RunPlan(IReadOnlyList<PlanUnit> units, IReadOnlyList<RunStep> steps)
    {
        Units = units;
        Steps = steps;
    }

    public IReadOnlyList<PlanUnit> Units { get; }
    public IReadOnlyList<RunStep> Steps { get; }

    /// <summary>
    /// The plan of <paramref name="variants"/>: one unit per seed of each (only seed
    /// <paramref name="onlySeed"/> when given), the built-in steps, then whatever
    /// <paramref name="configure"/> adds (a recipe's <c>OnPlan</c>, <see cref="ExperimentHooks.ConfigurePlan"/>).
    /// </summary>
    public static RunPlan Build(IReadOnlyList<ExperimentOptions> variants, int? onlySeed = null, Action<RunPlanBuilder>? configure = null)
    {
        var builder = new RunPlanBuilder(MiDistill.Runtime.Training.Steps.BuiltInSteps.Create());
        configure?.Invoke(builder);
        var units = variants.SelectMany(Replicates).Where(u => onlySeed is null || u.Options.Run.Seed == onlySeed).ToList();
        return new RunPlan(units, builder.Steps.ToList());
    }

    /// <summary>
    /// One unit per seed. Replicate i is named by seeds[i]; by default it also initialises and
    /// orders batches with seeds[i] and draws its images with data seed + i. `run.vary` holds one of
    /// the two fixed: `training` keeps the data seed, `data` keeps the first seed for training. A
    /// unit keeps its index in the seed list, so it computes exactly what it computes in a run of every seed.
    /// </summary>
    public static IEnumerable<PlanUnit> Replicates(ExperimentOptions options) =>
        options.Run.Seeds.Select((seed, i) => new PlanUnit(options with
        {
            Run = options.Run with
            {
                Seeds = new[] { seed },
                FixedTrainingSeed = options.Run.Vary == ReplicateVariation.Data ? options.Run.Seeds[0] : null,
            },
            Data = options.Data with { Seed = options.Data.Seed + (options.Run.Vary == ReplicateVariation.Training ? 0 : i) },
        }, i));

    /// <summary>The plan as text: the steps with what they need and produce, then each unit's steps.</summary>
    public string Describe(string recipe)
    {
        var text = new StringBuilder();
        var variants = Units.Select(u => u.Options.Variant).Distinct().Count();
        var used = Steps.Where(s => Units.Any(s.AppliesTo)).ToList();
        text.Append(CultureInfo.InvariantCulture, $"plan of `{recipe}`: {Units.Count} unit(s) ({variants} variant(s) x their seeds), {used.Count} step(s)");
        if (used.Count < Steps.Count)
            text.Append(" (not used by this recipe: ").Append(string.Join(", ", Steps.Except(used).Select(s => s.Name))).Append(')');
        text.Append("\nsteps, in order (needs -> produces):\n");
        int width = used.Count == 0 ? 0 : used.Max(s => s.Name.Length);
        foreach (var step in used)
        {
            var needs = Units.SelectMany(u => step.AppliesTo(u) ? step.Needs(u) : Enumerable.Empty<Artefact>()).Distinct().Select(a => a.Name).ToList();
            var flow = (needs.Count == 0 ? "-" : string.Join(", ", needs)) + " -> " + (step.Produces?.Name ?? "-");
            var kind = step.AlwaysRuns ? "always runs" : step.KeepsWork ? "kept in the run folder" : "when needed";
            text.Append("  ").Append(step.Name.PadRight(width)).Append("  ").Append(flow).Append("  [").Append(kind).Append(']');
            if (step.Doc.Length > 0) text.Append("  ").Append(step.Doc);
            text.Append('\n');
        }
        text.Append("units:\n");
        foreach (var unit in Units)
            text.Append("  ").Append(unit.Name).Append(": ").Append(string.Join(", ", Steps.Where(s => s.AppliesTo(unit)).Select(s => s.Name))).Append('\n');
        return text.ToString();
    }
}

/// <summary>The steps of a plan as it is built; a recipe's own steps go in by name (<c>InsertAfter("finetune", step)</c>).</summary>
public sealed class RunPlanBuilder
{
    private readonly List<RunStep> _steps;

    internal RunPlanBuilder(IEnumerable<RunStep> steps) => _steps = steps.ToList();

    public IReadOnlyList<RunStep> Steps => _steps;

    /// <summary>Adds a step after every other.</summary>
    public RunPlanBuilder Add(RunStep step) => Insert(_steps.Count, step);

    public RunPlanBuilder InsertAfter(string name, RunStep step) => Insert(IndexOf(name) + 1, step);

    public RunPlanBuilder InsertBefore(string name, RunStep step) => Insert(IndexOf(name), step);

    private RunPlanBuilder Insert(int index, RunStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_steps.Any(s => s.Name == step.Name))
            throw new ArgumentException($"the plan already has a step named `{step.Name}`; give each step its own name", nameof(step));
        _steps.Insert(index, step);
        return this;
    }

    private int IndexOf(string name)
    {
        int index = _steps.FindIndex(s => s.Name == name);
        return index >= 0 ? index
            : throw new ArgumentException($"the plan has no step `{name}`; its steps are {string.Join(", ", _steps.Select(s => "`" + s.Name + "`"))}", nameof(name));
    }
}
