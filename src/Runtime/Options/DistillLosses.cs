using MiDistill.Runtime.Distill;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Options;

/// <summary>
/// The distillation stage's loss of one batch. A user's own loss is a record deriving from this one
/// with <see cref="RecipeFormAttribute"/>; the stage runs the teacher only when <see cref="UsesTeacher"/>.
/// </summary>
[RecipeChoice("distill_loss")]
public abstract record DistillLossOptions
{
    /// <summary>False when the loss never reads the teacher's logits: the teacher is then not run at all.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public virtual bool UsesTeacher => true;

    /// <summary>
    /// The temperature the loss softens the teacher's logits at: a teacher-output cache that keeps
    /// fewer classes than there are keeps the left-out classes' probability mass at this temperature
    /// (docs/teacher-cache.md). 1 unless the loss says otherwise.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public virtual double CacheTemperature => 1;

    /// <summary>
    /// The loss of student logits [B, C] given the teacher's logits on the same images (null when
    /// <see cref="UsesTeacher"/> is false) and the targets: class indices [B], or class probabilities
    /// [B, C] after mixup. The tensors belong to the caller's dispose scope.
    /// </summary>
    public abstract Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor targets);
}

/// <summary>Hinton KD: (1-Weight) CE(y, s) + Weight T^2 KL(softmax(t/T) || softmax(s/T)).</summary>
[RecipeForm("kd", "Hinton KD: (1-weight) CE(y, s) + weight T^2 KL(softmax(t/T) || softmax(s/T)).")]
public sealed record KdLossOptions(
    [RecipeArg(Doc = "softening temperature T", Min = 0, MinExclusive = true, Max = 100)] double Temperature = 4,
    [RecipeArg(Doc = "weight of the distillation term (1 = pure distillation)", Min = 0, Max = 1)] double Weight = 1) : DistillLossOptions
{
    public override double CacheTemperature => Temperature;
    public override bool UsesTeacher => Weight > 0;

    public override Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor targets) =>
        KnowledgeDistillationLoss.Compute(studentLogits, teacherLogits, targets, Temperature, Weight);
}

/// <summary>
/// DIST (Huang et al. 2022): (1 - Weight) CE(y, s) + Weight T^2 (Inter L_inter + Intra L_intra), where
/// L_inter = mean over samples of 1 - Pearson(p_s[i,:], p_t[i,:]) and L_intra = mean over classes of
/// 1 - Pearson(p_s[:,c], p_t[:,c]), p = softmax(logits / T).
/// </summary>
[RecipeForm("dist", "DIST (Huang et al. 2022): (1-weight) CE(y, s) + weight T^2 (inter (1 - Pearson across classes, per sample) + intra (1 - Pearson across the batch, per class)) of softmax(logits/T).")]
public sealed record DistLossOptions(
    [RecipeArg(Doc = "weight of the inter-class relation (per sample)", Min = 0, Max = 100)] double Inter = 1,
    [RecipeArg(Doc = "weight of the intra-class relation (per class, across the batch)", Min = 0, Max = 100)] double Intra = 1,
    [RecipeArg(Doc = "softening temperature T", Min = 0, MinExclusive = true, Max = 100)] double Temperature = 1,
    [RecipeArg(Doc = "weight of the distillation term (1 = pure distillation)", Min = 0, Max = 1)] double Weight = 1) : DistillLossOptions
{
    public override double CacheTemperature => Temperature;
    public override bool UsesTeacher => Weight > 0;

    public override Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor targets) =>
        DistLoss.Compute(studentLogits, teacherLogits, targets, Inter, Intra, Temperature, Weight);
}

/// <summary>The student learns from labels only (the no-teacher baseline).</summary>
[RecipeForm("labels_only", "No teacher: the student trains on labels alone (the baseline).")]
public sealed record LabelsOnlyLossOptions : DistillLossOptions
{
    public override bool UsesTeacher => false;

    public override Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor targets) =>
        nn.functional.cross_entropy(studentLogits, targets);
}
