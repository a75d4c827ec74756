using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>Fine-tunes the pretrained teacher with the variant's MI objective and reweighting (<see cref="Stages.Finetune"/>).</summary>
internal sealed class FinetuneStep : RunStep
{
    public override string Name => "finetune";
    public override string Doc => "fine-tune the teacher with the variant's objective and reweighting";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedTeacher };
    public override IEnumerable<Artefact> LoadNeeds(PlanUnit unit) => new[] { StepArtefacts.Data };
    public override Artefact? Produces => StepArtefacts.Teacher;
    public override bool KeepsWork => true;

    private static string Key(UnitContext unit) => unit.Name + "/finetune";
    private static string Weights(UnitContext unit) => unit.Stem + "-teacher.safetensors";
    private static string Checkpoint(UnitContext unit) => unit.Stem + "-finetune.ckpt";

    public override bool IsDone(UnitContext unit) => KeptModels.IsDone(unit, Key(unit), Weights(unit));

    public override void Load(UnitContext unit) =>
        unit.Set(StepArtefacts.Teacher, Stages.LoadTeacher(unit.Options, unit.Get(StepArtefacts.Data), Weights(unit), unit.Run.Device));

    public override void Run(UnitContext unit)
    {
        var stem = unit.Stem;
        unit.Set(StepArtefacts.Teacher, Stages.Finetune(unit.Run, unit.Options, unit.Get(StepArtefacts.Data), unit.Get(StepArtefacts.PretrainedTeacher),
            new StageFiles(Checkpoint(unit), epoch => $"{stem}-teacher-epoch{epoch}.safetensors")));
    }

    public override void Record(UnitContext unit) => KeptModels.Save(unit, unit.Get(StepArtefacts.Teacher), Key(unit), Weights(unit));

    public override void Committed(UnitContext unit) => File.Delete(Checkpoint(unit));
}
