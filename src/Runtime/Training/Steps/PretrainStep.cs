using System.Collections.Generic;
using System.Diagnostics;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// The pretrained teacher: the recipe's checkpoint, or a cache entry pretrained once for every run
/// and unit with the same architecture, pretraining settings and upstream images (the cache keeps
/// its own lock, checkpoint and checksum, so the step itself keeps nothing in the run folder).
/// </summary>
internal sealed class PretrainStep : RunStep
{
    public override string Name => "pretrain";
    public override string Doc => "pretrain the teacher on the upstream split, or take it from the cache or the recipe's checkpoint";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new[] { StepArtefacts.Data };
    public override Artefact? Produces => StepArtefacts.PretrainedTeacher;

    public override void Run(UnitContext unit)
    {
        var watch = Stopwatch.StartNew();
        var path = Stages.PretrainedTeacher(unit.Run, unit.Options, unit.Get(StepArtefacts.Data));
        unit.PretrainSeconds = watch.Elapsed.TotalSeconds;
        unit.Set(StepArtefacts.PretrainedTeacher, path);
    }
}
