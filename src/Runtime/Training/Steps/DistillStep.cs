using System.Collections.Generic;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// Distils the fine-tuned teacher into a new student (<see cref="Stages.Distill"/>); for a loss that
/// reads no teacher (the labels-only baseline), trains the student on labels alone. Under the
/// paper's protocol <see cref="PaperSelectionStep"/> distils one student per kept epoch instead.
/// </summary>
internal sealed class DistillStep : KeptModelStep<nn.Module<Tensor, Tensor>>
{
    public override string Name => "distill";
    public override string Doc => "distil the teacher into a new student (labels only when the loss reads no teacher)";
    public override bool AppliesTo(PlanUnit unit) => !PaperSelectionStep.Selects(unit);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) =>
        !unit.UsesTeacher ? new Artefact[] { StepArtefacts.Data }
            : TeacherCacheStep.Caches(unit) ? new Artefact[] { StepArtefacts.Data, StepArtefacts.TeacherOutputs }
            : new Artefact[] { StepArtefacts.Data, StepArtefacts.Teacher };
    protected override Artefact<nn.Module<Tensor, Tensor>> Model => StepArtefacts.Student;
    protected override string ModelName => "student";

    public override void Load(UnitContext unit) =>
        unit.Set(StepArtefacts.Student, Stages.LoadStudent(unit.Options, unit.Get(StepArtefacts.Data), Weights(unit), unit.Run.Device));

    public override void Run(UnitContext unit)
    {
        if (!unit.Unit.UsesTeacher)
            unit.Run.Output.WriteLine($"[{unit.Name}] no teacher: the loss uses labels only, so the teacher is neither fine-tuned nor evaluated");
        unit.Set(StepArtefacts.Student, Stages.Distill(unit.Run, unit.Options, unit.Get(StepArtefacts.Data), unit.Find(StepArtefacts.Teacher), new StageFiles(Checkpoint(unit)),
            unit.Find(StepArtefacts.TeacherOutputs)));
    }
}
