using System.Collections.Generic;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Training.Plan;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>The artefacts the built-in steps pass along; a step of your own may need any of them.</summary>
public static class StepArtefacts
{
    /// <summary>The unit's splits: train, validation, test, transfer and upstream images.</summary>
    public static readonly Artefact<ExperimentData> Data = new("data");
    /// <summary>The pretrained teacher's weights file (a cache entry, or the recipe's checkpoint).</summary>
    public static readonly Artefact<string> PretrainedTeacher = new("pretrained teacher");
    /// <summary>The pretrained teacher's test metrics; null when it was not pretrained on exactly the downstream classes.</summary>
    public static readonly Artefact<IReadOnlyDictionary<string, double>?> PretrainedScores = new("pretrained scores");
    /// <summary>The fine-tuned teacher, in eval mode on the run's device.</summary>
    public static readonly Artefact<VisionTransformer> Teacher = new("teacher");
    /// <summary>The teacher's outputs on stored augmentation views of the distillation images (the teacher-output cache).</summary>
    public static readonly Artefact<Distill.TeacherOutputs> TeacherOutputs = new("teacher outputs");
    /// <summary>The distilled student, in eval mode on the run's device.</summary>
    public static readonly Artefact<nn.Module<Tensor, Tensor>> Student = new("student");
    /// <summary>The unit's test result: what the results table, metrics.jsonl and the report show.</summary>
    public static readonly Artefact<VariantResult> Result = new("result");
}
