using System.Collections.Generic;
using System.Globalization;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;
using TorchSharp;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// The paper's protocol: a student distilled from the teacher of each kept fine-tuning epoch, all
/// evaluated on the test split, the best reported (optimistic: the test split makes the choice).
/// Each student is kept like a stage of its own ("variant/seedN/epochE/distill").
/// </summary>
internal sealed class PaperSelectionStep : RunStep
{
    public override string Name => "select-paper";
    public override string Doc => "under `protocol paper`: a student per kept teacher epoch, the best on the test split reported";

    internal static bool Selects(PlanUnit unit) => unit.UsesTeacher && unit.Options.Evaluate.Protocol is PaperProtocol;

    /// <summary>The student distilled from the teacher kept after fine-tuning epoch <paramref name="epoch"/> (what export writes for the selected epoch).</summary>
    internal static string StudentFile(string stem, int epoch) => $"{stem}-student-epoch{epoch}.safetensors";

    /// <summary>The teacher kept after fine-tuning epoch <paramref name="epoch"/>.</summary>
    internal static string TeacherFile(string stem, int epoch) => $"{stem}-teacher-epoch{epoch}.safetensors";

    public override bool AppliesTo(PlanUnit unit) => Selects(unit);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) =>
        new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedScores, StepArtefacts.Teacher };
    public override Artefact? Produces => StepArtefacts.Result;
    public override bool KeepsWork => true;

    public override bool IsDone(UnitContext unit) => EvaluateStep.IsRecorded(unit);
    public override void Load(UnitContext unit) => EvaluateStep.LoadRecorded(unit);
    public override void Record(UnitContext unit) => EvaluateStep.RecordResult(unit);

    public override void Run(UnitContext unit)
    {
        var options = unit.Options;
        var run = unit.Run;
        var data = unit.Get(StepArtefacts.Data);
        var teacher = unit.Get(StepArtefacts.Teacher);
        var stem = unit.Stem;
        VariantResult? best = null;
        foreach (var epoch in ((PaperProtocol)options.Evaluate.Protocol).Checkpoints)
        {
            Checkpoints.ModelFile.Load(teacher, TeacherFile(stem, epoch), Stages.DamagedRunFile);
            teacher.to(run.Device);
            using var student = KeptModels.RunOrLoad(unit, $"{unit.Name}/epoch{epoch}/distill", StudentFile(stem, epoch), $"{stem}-distill-epoch{epoch}.ckpt",
                () => Stages.Distill(run, options with { Variant = $"{options.Variant}@{epoch}" }, data, teacher, new StageFiles($"{stem}-distill-epoch{epoch}.ckpt")),
                () => Stages.LoadStudent(options, data, StudentFile(stem, epoch), run.Device));
            var candidate = EvaluateStep.Test(unit, data, teacher, student) with { TeacherEpoch = epoch };
            run.Output.WriteLine($"[{unit.Name}] teacher epoch {epoch}: student test acc {Percent(First(candidate.Student))}");
            if (best is null || First(candidate.Student) > First(best.Student)) best = candidate;
        }
        unit.Set(StepArtefacts.Result, EvaluateStep.Completed(unit, best!));
    }

    private static double First(IReadOnlyDictionary<string, double> values)
    {
        foreach (var value in values.Values) return value;
        return double.NaN;
    }

    private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
