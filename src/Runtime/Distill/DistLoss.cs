using System;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MiDistill.Runtime.Distill;

/// <summary>
/// DIST (Huang et al. 2022), distillation by correlation rather than exact match:
/// (1 - weight) CE(labels, s) + weight T^2 (inter L_inter + intra L_intra), with p = softmax(logits/T),
/// L_inter = mean over samples i of 1 - Pearson(p_s[i,:], p_t[i,:]) (relations between classes) and
/// L_intra = mean over classes c of 1 - Pearson(p_s[:,c], p_t[:,c]) (relations between samples).
/// </summary>
/// <remarks>
/// Pearson is the cosine of the mean-centred vectors, with 1e-8 added to the product of their norms
/// so that a constant vector gives 0 rather than NaN. <c>labels</c> may be class indices [B] or class probabilities [B, C] (mixup).
/// </remarks>
public static class DistLoss
{
    private const double Eps = 1e-8;

    public static Tensor Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor? labels,
        double inter, double intra, double temperature, double weight)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "DIST temperature must be positive and finite.");
        if (!(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "DIST weight must lie in [0, 1].");
        if (!(inter >= 0) || !(intra >= 0) || double.IsInfinity(inter) || double.IsInfinity(intra))
            throw new ArgumentOutOfRangeException(nameof(inter), $"DIST inter ({inter}) and intra ({intra}) weights must be finite and >= 0.");
        if (studentLogits.dim() != 2)
            throw new ArgumentException($"Student logits must be [B, C], got [{string.Join(", ", studentLogits.shape)}].", nameof(studentLogits));

        using var scope = NewDisposeScope();
        Tensor total = zeros(1, dtype: studentLogits.dtype, device: studentLogits.device).squeeze();
        if (weight < 1) {
            if (labels is null) throw new ArgumentNullException(nameof(labels), $"Labels are needed when the DIST weight ({weight}) is below 1.");
            total = total + functional.cross_entropy(studentLogits, labels) * (1 - weight);
        }
        if (weight > 0) {
            if (teacherLogits is null) throw new ArgumentNullException(nameof(teacherLogits), $"Teacher logits are needed when the DIST weight ({weight}) is above 0.");
            if (!teacherLogits.shape.AsSpan().SequenceEqual(studentLogits.shape))
                throw new ArgumentException($"Teacher logits [{string.Join(", ", teacherLogits.shape)}] and student logits [{string.Join(", ", studentLogits.shape)}] must have the same shape.");
            var ps = functional.softmax(studentLogits / temperature, 1);
            var pt = functional.softmax(teacherLogits.detach() / temperature, 1);
            var interLoss = (1 - Pearson(ps, pt, 1)).mean();
            var intraLoss = (1 - Pearson(ps, pt, 0)).mean();
            total = total + (interLoss * inter + intraLoss * intra) * (weight * temperature * temperature);
        }
        return total.MoveToOuterDisposeScope();
    }

    // Pearson correlation of a and b along dimension `dim`, one value per slice of the other dimension.
    private static Tensor Pearson(Tensor a, Tensor b, long dim)
    {
        var ac = a - a.mean(new[] { dim }, keepdim: true);
        var bc = b - b.mean(new[] { dim }, keepdim: true);
        var dot = (ac * bc).sum(dim);
        var norms = linalg.vector_norm(ac, dims: new[] { dim }) * linalg.vector_norm(bc, dims: new[] { dim });
        return dot / (norms + Eps);
    }
}
