using System;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Distill;

/// <summary>
/// Hinton's logit distillation:
/// (1 - weight) CE(labels, s) + weight T^2 KL(softmax(t/T) || softmax(s/T)), KL averaged over the batch.
/// </summary>
/// <remarks>
/// T^2 keeps the soft term's gradient scale independent of T. Teacher logits are detached: the
/// teacher is a fixed target. With weight = 1 labels are never read (they may be null: unlabeled
/// images); with weight = 0 the teacher is never read.
/// </remarks>
public sealed class KnowledgeDistillationLoss : Module<Tensor, Tensor, Tensor, Tensor>
{
    public KnowledgeDistillationLoss(double temperature, double weight) : base(nameof(KnowledgeDistillationLoss))
    {
        Validate(temperature, weight);
        Temperature = temperature;
        Weight = weight;
    }

    public double Temperature { get; }

    public double Weight { get; }

    /// <summary>Loss for (student logits, teacher logits, labels).</summary>
    public override Tensor forward(Tensor studentLogits, Tensor teacherLogits, Tensor labels)
        => Compute(studentLogits, teacherLogits, labels, Temperature, Weight);

    public static Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor? labels, double temperature, double weight)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        Validate(temperature, weight);
        if (studentLogits.dim() != 2)
            throw new ArgumentException($"Student logits must be [B, C], got [{string.Join(", ", studentLogits.shape)}].", nameof(studentLogits));

        Tensor? hard = null, soft = null;
        try {
            if (weight < 1) {
                if (labels is null) throw new ArgumentNullException(nameof(labels), $"Labels are needed when the KD weight ({weight}) is below 1.");
                using var ce = functional.cross_entropy(studentLogits, labels);
                hard = ce.mul(1 - weight);
            }
            if (weight > 0) {
                if (teacherLogits is null) throw new ArgumentNullException(nameof(teacherLogits), $"Teacher logits are needed when the KD weight ({weight}) is above 0.");
                if (!teacherLogits.shape.AsSpan().SequenceEqual(studentLogits.shape))
                    throw new ArgumentException(
                        $"Teacher logits [{string.Join(", ", teacherLogits.shape)}] and student logits [{string.Join(", ", studentLogits.shape)}] must have the same shape.");
                using var kl = SoftKl(studentLogits, teacherLogits, temperature);
                soft = kl.mul(weight * temperature * temperature);
            }
            if (hard is null) { var r = soft!; soft = null; return r; }
            if (soft is null) { var r = hard; hard = null; return r; }
            return hard.add(soft);
        } finally {
            hard?.Dispose();
            soft?.Dispose();
        }
    }

    // KL(p_t || p_s) summed over classes and averaged over the batch ("batchmean"), from log-probabilities.
    private static Tensor SoftKl(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        using var teacher = teacherLogits.detach();
        using var scaledT = teacher.div(temperature);
        using var logPt = functional.log_softmax(scaledT, 1);
        using var pT = logPt.exp();
        using var scaledS = studentLogits.div(temperature);
        using var logPs = functional.log_softmax(scaledS, 1);
        using var diff = logPt.sub(logPs);
        using var terms = pT.mul(diff);
        using var total = terms.sum();
        return total.div(studentLogits.shape[0]);
    }

    private static void Validate(double temperature, double weight)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "KD temperature must be positive and finite.");
        if (!(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "KD weight must lie in [0, 1].");
    }
}
