using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Training.Plan;
using TorchSharp;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// A training stage that keeps its model in the run folder: "variant-seedN-&lt;model&gt;.safetensors",
/// recorded as "variant/seedN/&lt;step&gt;" once written, and a resumable checkpoint
/// "variant-seedN-&lt;step&gt;.ckpt" removed once the run state is committed.
/// </summary>
internal abstract class KeptModelStep<TModel> : RunStep
    where TModel : torch.nn.Module
{
    /// <summary>The artefact the stage trains and loads.</summary>
    protected abstract Artefact<TModel> Model { get; }

    /// <summary>What the weights file is named after ("teacher", "student").</summary>
    protected abstract string ModelName { get; }

    public override Artefact? Produces => Model;
    public override bool KeepsWork => true;
    public override IEnumerable<Artefact> LoadNeeds(PlanUnit unit) => new[] { StepArtefacts.Data };

    private string Key(UnitContext unit) => unit.Name + "/" + Name;
    protected string Weights(UnitContext unit) => $"{unit.Stem}-{ModelName}.safetensors";
    protected string Checkpoint(UnitContext unit) => $"{unit.Stem}-{Name}.ckpt";

    public override bool IsDone(UnitContext unit) => KeptModels.IsDone(unit, Key(unit), Weights(unit));

    public override void Record(UnitContext unit) => KeptModels.Save(unit, unit.Get(Model), Key(unit), Weights(unit));

    public override void Committed(UnitContext unit) => File.Delete(Checkpoint(unit));
}
