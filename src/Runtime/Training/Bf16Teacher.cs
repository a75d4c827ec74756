using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// A frozen bfloat16 copy of a teacher, for distillation's teacher forward pass (<c>distill.teacher_dtype
/// bfloat16</c>). TorchSharp has no autocast, so the whole copy is cast: weights, activations and
/// attention run in bfloat16 (on a GPU with bf16 tensor cores that halves the teacher's cost and lets
/// the fused attention use its flash kernel), the batch is cast on the way in and the logits back to
/// float32 on the way out, so the loss (temperature softmax, KL or DIST) stays float32. The teacher
/// itself is left as it is, in float32, for evaluation and the transfer set's labels.
/// </summary>
public sealed class Bf16Teacher : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _copy;

    /// <param name="teacher">The fine-tuned teacher (any device).</param>
    /// <param name="blank">A new module of the same architecture, which becomes the copy (owned by this object).</param>
    public Bf16Teacher(nn.Module<Tensor, Tensor> teacher, nn.Module<Tensor, Tensor> blank)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(blank);
        var device = teacher.parameters().First().device;
        var source = teacher.state_dict();
        var target = blank.state_dict();
        if (!source.Keys.OrderBy(k => k, StringComparer.Ordinal).SequenceEqual(target.Keys.OrderBy(k => k, StringComparer.Ordinal)))
            throw new ArgumentException("the blank module's parameters and buffers are not the teacher's", nameof(blank));
        blank.to(device);
        using (no_grad())
            foreach (var (name, tensor) in blank.state_dict())
                tensor.copy_(source[name]);
        // Floating-point parameters and buffers only: integer buffers (batch-norm counters) keep their dtype.
        blank.to(ScalarType.BFloat16);
        foreach (var p in blank.parameters()) p.requires_grad = false;
        blank.eval();
        _copy = blank;
    }

    /// <summary>
    /// A copy of <paramref name="teacher"/> in a module <paramref name="create"/> makes, made without
    /// drawing from the torch generator (a new module initialises its weights), so turning bfloat16 on
    /// changes no other random draw of the run.
    /// </summary>
    public static Bf16Teacher Copy(nn.Module<Tensor, Tensor> teacher, Func<nn.Module<Tensor, Tensor>> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        nn.Module<Tensor, Tensor> blank;
        using (var state = torch.random.get_rng_state())
        {
            blank = create();
            torch.random.set_rng_state(state);
        }
        try
        {
            return new Bf16Teacher(teacher, blank);
        }
        catch
        {
            blank.Dispose();
            throw;
        }
    }

    /// <summary>The teacher's float32 logits of a float32 batch, computed in bfloat16.</summary>
    public Tensor Forward(Tensor x)
    {
        using var _ = no_grad();
        using var input = x.to(ScalarType.BFloat16);
        using var logits = _copy.call(input);
        return logits.to(ScalarType.Float32);
    }

    public void Dispose() => _copy.Dispose();
}
