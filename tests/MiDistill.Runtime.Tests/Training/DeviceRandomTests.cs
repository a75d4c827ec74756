using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MiDistill.Runtime.Augment;
using MiDistill.Runtime.Tests.Sweeps;
using MiDistill.Runtime.Training;
using TorchSharp;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// The generators a run draws from are seeded in one place, CUDA's included (TorchSharp's
/// <c>torch.manual_seed</c> seeds only the CPU's). The CUDA side cannot run here; what can is checked:
/// the CPU draws are those of before, every seeding goes through the helper, and the per-step CUDA
/// seeds are distinct and apart from the augmenter's.
/// </summary>
public sealed class DeviceRandomTests
{
    [Fact]
    public void Seeding_through_the_helper_draws_on_the_cpu_what_torch_manual_seed_draws()
    {
        torch.manual_seed(1234);
        using var expected = torch.rand(64);
        DeviceRandom.ManualSeed(1234);
        using var actual = torch.rand(64);
        Assert.True(actual.eq(expected).all().item<bool>());
    }

    [Fact]
    public void Every_seeding_in_the_runtime_goes_through_the_helper_that_also_seeds_cuda()
    {
        var runtime = Path.Combine(Executable.RepoRoot(), "src", "Runtime");
        var offenders = Directory.EnumerateFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && Path.GetFileName(f) != "DeviceRandom.cs")
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => Regex.IsMatch(x.line, @"\bmanual_seed(_all)?\s*\(") && !x.line.Contains("DeviceRandom.ManualSeed"))
            .Select(x => $"{Path.GetRelativePath(runtime, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToArray();
        Assert.True(offenders.Length == 0, "seed through DeviceRandom.ManualSeed (it also seeds the CUDA generators):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Per_step_cuda_seeds_are_distinct_and_apart_from_the_augmenters()
    {
        var seeds = (from epoch in Enumerable.Range(0, 20) from step in Enumerable.Range(0, 200) select DeviceRandom.StepSeed(4003, epoch, step)).ToArray();
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
        Assert.NotEqual(DeviceRandom.StepSeed(4003, 0, 0), DeviceRandom.StepSeed(4004, 0, 0));
        var augment = (from epoch in Enumerable.Range(0, 20) from step in Enumerable.Range(0, 200) select BatchAugmenter.StepSeed(4003, epoch, step)).ToHashSet();
        Assert.DoesNotContain(seeds, augment.Contains);
    }

    [Fact]
    public void Reseeding_before_a_cpu_step_leaves_the_cpu_generator_alone()
    {
        torch.manual_seed(7);
        using var expected = torch.rand(8);
        torch.manual_seed(7);
        DeviceRandom.BeforeStep(torch.CPU, 4003, 1, 2);
        using var actual = torch.rand(8);
        Assert.True(actual.eq(expected).all().item<bool>());
    }
}
