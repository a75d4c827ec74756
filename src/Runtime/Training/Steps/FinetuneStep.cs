using System.Collections.Generic;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>Fine-tunes the pretrained teacher with the variant's MI objective and reweighting (<see cref="Stages.Finetune"/>).</summary>
internal sealed class FinetuneStep : KeptModelStep<Models.VisionTransformer>
{
    public override string Name => "finetune";
    public override string Doc => "fine-tune the teacher with the variant's objective and reweighting";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedTeacher };
    protected override Artefact<Models.VisionTransformer> Model => StepArtefacts.Teacher;
    protected override string ModelName => "teacher";

    public override void Load(UnitContext unit) =>
        unit.Set(StepArtefacts.Teacher, Stages.LoadTeacher(unit.Options, unit.Get(StepArtefacts.Data), Weights(unit), unit.Run.Device));

    public override void Run(UnitContext unit)
    {
        var stem = unit.Stem;
        unit.Set(StepArtefacts.Teacher, Stages.Finetune(unit.Run, unit.Options, unit.Get(StepArtefacts.Data), unit.Get(StepArtefacts.PretrainedTeacher),
            new StageFiles(Checkpoint(unit), epoch => $"{stem}-teacher-epoch{epoch}.safetensors")));
    }
}
