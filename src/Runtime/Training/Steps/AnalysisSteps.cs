using System.Collections.Generic;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;
using TorchSharp;

namespace MiDistill.Runtime.Training.Steps;

// The `analyze` section's measurements, as steps that always run where they apply: they are
// deterministic and take seconds, so a resumed run measures finished units again from their saved
// weights and analysis/ covers the whole run. The run's summary and plots observe the run's end.

/// <summary>MI per block and MLP sparsity of the pretrained teacher.</summary>
internal sealed class AnalyzePretrainedStep : RunStep
{
    public override string Name => "analyze-pretrained";
    public override string Doc => "MI per sub-block and MLP sparsity of the pretrained teacher (analyze)";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher && (unit.Options.Analyze.MiPerBlock || unit.Options.Analyze.Sparsity);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedTeacher };
    public override bool AlwaysRuns => true;

    public override void Run(UnitContext unit) =>
        unit.Run.Analysis.BeforeFinetune(unit.Options, unit.Get(StepArtefacts.Data), unit.Get(StepArtefacts.PretrainedTeacher));
}

/// <summary>Every analysis the variant asks for, on its fine-tuned teacher.</summary>
internal sealed class AnalyzeTeacherStep : RunStep
{
    public override string Name => "analyze-teacher";
    public override string Doc => "every analysis the variant turns on, on the fine-tuned teacher (analyze)";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher && AnalysisStage.Enabled(unit.Options.Analyze);
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.Teacher };
    public override bool AlwaysRuns => true;

    public override void Run(UnitContext unit) =>
        unit.Run.Analysis.AfterFinetune(unit.Options, unit.Get(StepArtefacts.Data), unit.Get(StepArtefacts.Teacher));
}

/// <summary>Under the paper's protocol, a point on the information plane per kept teacher epoch.</summary>
internal sealed class AnalyzeKeptStep : RunStep
{
    public override string Name => "analyze-kept";
    public override string Doc => "under `protocol paper`: the information plane's point of each kept teacher epoch (analyze)";
    public override bool AppliesTo(PlanUnit unit) => PaperSelectionStep.Selects(unit) && unit.Options.Analyze.InformationPlane;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.Teacher };
    public override bool AlwaysRuns => true;

    public override void Run(UnitContext unit)
    {
        var teacher = unit.Get(StepArtefacts.Teacher);
        var data = unit.Get(StepArtefacts.Data);
        foreach (var epoch in ((PaperProtocol)unit.Options.Evaluate.Protocol).Checkpoints)
        {
            Checkpoints.ModelFile.Load(teacher, $"{unit.Stem}-teacher-epoch{epoch}.safetensors", Stages.DamagedRunFile);
            teacher.to(unit.Run.Device);
            unit.Run.Analysis.KeptCheckpoint(unit.Options, data, teacher, epoch);
        }
    }
}
