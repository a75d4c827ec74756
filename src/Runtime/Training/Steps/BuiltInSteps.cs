using System.Collections.Generic;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>The steps of every plan, in order. A new built-in step is one file and one line here.</summary>
internal static class BuiltInSteps
{
    public static IEnumerable<RunStep> Create() => new RunStep[]
    {
        new DataStep(),
        new ExportCheckStep(),
        new PretrainStep(),
        new PretrainedScoreStep(),
        new AnalyzePretrainedStep(),
        new FinetuneStep(),
        new AnalyzeTeacherStep(),
        new AnalyzeKeptStep(),
        new TeacherCacheStep(),
        new DistillStep(),
        new EvaluateStep(),
        new PaperSelectionStep(),
        new ExportStep(),
    };
}
