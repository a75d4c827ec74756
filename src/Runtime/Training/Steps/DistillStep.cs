using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// Distils the fine-tuned teacher into a new student (<see cref="Stages.Distill"/>); for a loss that
/// reads no teacher (the labels-only baseline), trains the student on labels alone. Under the
/// paper's protocol <see cref="PaperSelectionStep"/> distils one student per kept epoch instead.
/// </summary>
internal sealed class DistillStep : RunStep
{
    public override string Name => "distill";
    public override string Doc => "distil the teacher into a new student (labels only when the loss reads no teacher)";
    public override bool AppliesTo(PlanUnit unit) => !PaperSelectionStep.Selects(unit);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) =>
        unit.UsesTeacher ? new Artefact[] { StepArtefacts.Data, StepArtefacts.Teacher } : new Artefact[] { StepArtefacts.Data };
    public override IEnumerable<Artefact> LoadNeeds(PlanUnit unit) => new[] { StepArtefacts.Data };
    public override Artefact? Produces => StepArtefacts.Student;
    public override bool KeepsWork => true;

    private static string Key(UnitContext unit) => unit.Name + "/distill";
    private static string Weights(UnitContext unit) => unit.Stem + "-student.safetensors";
    private static string Checkpoint(UnitContext unit) => unit.Stem + "-distill.ckpt";

    public override bool IsDone(UnitContext unit) => KeptModels.IsDone(unit, Key(unit), Weights(unit));

    public override void Load(UnitContext unit) =>
        unit.Set(StepArtefacts.Student, Stages.LoadStudent(unit.Options, unit.Get(StepArtefacts.Data), Weights(unit), unit.Run.Device));

    public override void Run(UnitContext unit)
    {
        if (!unit.Unit.UsesTeacher)
            unit.Run.Output.WriteLine($"[{unit.Name}] no teacher: the loss uses labels only, so the teacher is neither fine-tuned nor evaluated");
        unit.Set(StepArtefacts.Student, Stages.Distill(unit.Run, unit.Options, unit.Get(StepArtefacts.Data), unit.Find(StepArtefacts.Teacher), new StageFiles(Checkpoint(unit))));
    }

    public override void Record(UnitContext unit) => KeptModels.Save(unit, unit.Get(StepArtefacts.Student), Key(unit), Weights(unit));

    public override void Committed(UnitContext unit) => File.Delete(Checkpoint(unit));
}
