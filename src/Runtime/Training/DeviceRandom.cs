using MiDistill.Runtime.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>
/// Seeds every generator a run draws from. TorchSharp's <c>torch.manual_seed</c> seeds only the CPU
/// generator (unlike PyTorch's), and TorchSharp has no way to read or set a CUDA generator's state
/// (its <c>Generator</c> is always the CPU one), so a CUDA generator cannot be checkpointed. Instead it
/// is reseeded before every training step from (stage seed, epoch, step): dropout on CUDA then depends
/// on <c>run.seed</c>, and a resumed stage draws the same masks as one never stopped.
/// </summary>
internal static class DeviceRandom
{
    // A seed stream of its own (see Data/Seeds): apart from the data streams 1..5 and the augmenter's 101.
    private const int CudaStepStream = 102;

    /// <summary>Seeds the CPU generator and every CUDA device's (a no-op for CUDA where there is none), as PyTorch's manual_seed does.</summary>
    public static void ManualSeed(long seed)
    {
        torch.manual_seed(seed);
        torch.cuda.manual_seed_all(seed);
    }

    /// <summary>The seed of the CUDA generators for one training step.</summary>
    public static int StepSeed(int stageSeed, int epoch, int step) =>
        Seeds.Derive(Seeds.Derive(stageSeed, CudaStepStream, epoch), step);

    /// <summary>
    /// Reseeds the CUDA generators for a step on <paramref name="device"/>. On the CPU it does nothing:
    /// the CPU generator's state is saved in every stage checkpoint, and CPU numbers stay as they were.
    /// </summary>
    public static void BeforeStep(Device device, int stageSeed, int epoch, int step)
    {
        if (device.type == DeviceType.CUDA)
            torch.cuda.manual_seed_all(StepSeed(stageSeed, epoch, step));
    }
}
