using System.Collections.Generic;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// The teacher-output cache (<see cref="TeacherCache"/>): reads the entry for the unit's fine-tuned
/// teacher, data and augmentation, or fills it. It keeps nothing in the run folder (the entry lives
/// in <c>run.cache</c>, shared by every unit and run with the same key), so it runs whenever the
/// distillation needs it and is skipped once the unit's student is distilled.
/// </summary>
internal sealed class TeacherCacheStep : RunStep
{
    public override string Name => "teacher-cache";
    public override string Doc => "the teacher's outputs on stored augmentation views, from run.cache or filled once (distill.teacher_cache_views)";

    /// <summary>True when the unit distils from a teacher-output cache.</summary>
    public static bool Caches(PlanUnit unit) => unit.UsesTeacher && unit.Options.Distill.TeacherCacheViews > 0;

    public override bool AppliesTo(PlanUnit unit) => Caches(unit) && !PaperSelectionStep.Selects(unit);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.Teacher };
    public override Artefact? Produces => StepArtefacts.TeacherOutputs;

    public override void Run(UnitContext unit) =>
        unit.Set(StepArtefacts.TeacherOutputs, TeacherCache.Obtain(unit.Run, unit.Options, unit.Get(StepArtefacts.Data), unit.Get(StepArtefacts.Teacher)));
}
