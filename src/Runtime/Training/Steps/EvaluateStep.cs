using System.Collections.Generic;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// Evaluates teacher and student once on the test split, after every choice was made on the
/// validation split (the honest protocol). The result is kept in the run state: a unit with a
/// result is finished.
/// </summary>
internal sealed class EvaluateStep : RunStep
{
    public override string Name => "evaluate";
    public override string Doc => "test metrics of teacher and student, once, after every choice";
    public override bool AppliesTo(PlanUnit unit) => !PaperSelectionStep.Selects(unit);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => unit.UsesTeacher
        ? new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedScores, StepArtefacts.Teacher, StepArtefacts.Student }
        : new Artefact[] { StepArtefacts.Data, StepArtefacts.Student };
    public override Artefact? Produces => StepArtefacts.Result;
    public override bool KeepsWork => true;

    public override bool IsDone(UnitContext unit) => IsRecorded(unit);
    public override void Load(UnitContext unit) => LoadRecorded(unit);

    public override void Run(UnitContext unit)
    {
        var data = unit.Get(StepArtefacts.Data);
        var result = Test(unit, data, unit.Find(StepArtefacts.Teacher), unit.Get(StepArtefacts.Student));
        unit.Set(StepArtefacts.Result, Completed(unit, result));
    }

    public override void Record(UnitContext unit) => RecordResult(unit);

    internal static bool IsRecorded(UnitContext unit) => unit.Run.State.Results.ContainsKey(unit.Name);

    internal static void LoadRecorded(UnitContext unit) => unit.Set(StepArtefacts.Result, unit.Run.State.Results[unit.Name]);

    internal static void RecordResult(UnitContext unit) => unit.Run.State.Results[unit.Name] = unit.Get(StepArtefacts.Result);

    /// <summary>The unit's timings and the pretrained teacher's scores added to a test result.</summary>
    internal static VariantResult Completed(UnitContext unit, VariantResult result) =>
        result with { Seconds = unit.Elapsed, PretrainSeconds = unit.PretrainSeconds, Pretrained = unit.Find(StepArtefacts.PretrainedScores) };

    /// <summary>Test metrics of teacher (none without one: its columns stay empty) and student.</summary>
    internal static VariantResult Test(UnitContext unit, ExperimentData data, VisionTransformer? teacher, nn.Module<Tensor, Tensor> student)
    {
        var options = unit.Options;
        var run = unit.Run;
        var teacherInput = InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics);
        var studentInput = Stages.StudentInput(options, data);
        return new VariantResult(options.Variant, options.Run.Seed,
            teacher is null ? new Dictionary<string, double>() : Evaluator.Evaluate(teacher, data.Test, run.Device, teacherInput, options.Evaluate.Metrics, run.Workers),
            Evaluator.Evaluate(student, data.Test, run.Device, studentInput, options.Evaluate.Metrics, run.Workers),
            0);
    }
}
