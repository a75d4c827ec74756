using System.Collections.Generic;
using System.Linq;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// One step of every unit of a run plan (pretrain, fine-tune, distill, evaluate, an analysis, or a
/// step of your own): what it needs, what it produces, how to compute it and, if it keeps its work
/// in the run folder, how to tell it is done and how to load it. The <see cref="PlanRunner"/> decides
/// which steps run, which load and which are skipped; a step never decides that itself.
/// </summary>
public abstract class RunStep
{
    /// <summary>The step's name in the plan, in the run state's keys and on the console.</summary>
    public abstract string Name { get; }

    /// <summary>What the step is for, one line (<c>show --plan</c>).</summary>
    public virtual string Doc => "";

    /// <summary>False for units the step has nothing to do in (no teacher steps for a labels-only variant).</summary>
    public virtual bool AppliesTo(PlanUnit unit) => true;

    /// <summary>The artefacts <see cref="Run"/> reads; the runner produces or loads them first.</summary>
    public virtual IEnumerable<Artefact> Needs(PlanUnit unit) => Enumerable.Empty<Artefact>();

    /// <summary>The artefact <see cref="Run"/> and <see cref="Load"/> set, or null.</summary>
    public virtual Artefact? Produces => null;

    /// <summary>
    /// Runs whenever it applies, done or not (an analysis: deterministic and cheap, so a resumed
    /// run's analysis files cover the whole run). Other steps run only when not done, or when a
    /// step that runs needs what they produce and they cannot load it.
    /// </summary>
    public virtual bool AlwaysRuns => false;

    /// <summary>
    /// True when the step keeps its work in the run folder (a weights file, a result in the run
    /// state): it is done once, loaded when a later step needs it, and resumed from its checkpoint.
    /// </summary>
    public virtual bool KeepsWork => false;

    /// <summary>True when the run folder holds this step's finished work for the unit (then <see cref="Load"/> gives its artefact).</summary>
    public virtual bool IsDone(UnitContext unit) => false;

    /// <summary>The artefacts <see cref="Load"/> reads (a model file needs the data's classes, for instance).</summary>
    public virtual IEnumerable<Artefact> LoadNeeds(PlanUnit unit) => Enumerable.Empty<Artefact>();

    /// <summary>Sets <see cref="Produces"/> from the step's finished work; only called when <see cref="IsDone"/>.</summary>
    public virtual void Load(UnitContext unit) =>
        throw new System.InvalidOperationException($"step `{Name}` keeps nothing it could load");

    /// <summary>Computes the step for the unit, setting <see cref="Produces"/>.</summary>
    public abstract void Run(UnitContext unit);

    /// <summary>
    /// Makes what <see cref="Run"/> computed durable (a weights file, a state entry); the runner then
    /// commits the run state. A step whose work lives only in memory keeps nothing.
    /// </summary>
    public virtual void Record(UnitContext unit) { }

    /// <summary>After the run state was committed: remove what only an unfinished step needed (its checkpoint).</summary>
    public virtual void Committed(UnitContext unit) { }
}
