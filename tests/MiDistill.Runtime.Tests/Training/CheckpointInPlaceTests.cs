using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Training;

/// <summary>
/// A stage checkpoint is loaded into the parameters the optimizer (and SAM) already hold. On CUDA,
/// TorchSharp's <c>Module.load</c> moves the module to the CPU and back, which replaces and disposes
/// every parameter (docs/performance.md, "CUDA"); a resumed stage then crashed at its first step.
/// These tests reproduce that on the CPU with a model whose <c>load</c> replaces its parameters the
/// same way (a dtype round trip runs the same code in TorchSharp as a device round trip).
/// </summary>
public sealed class CheckpointInPlaceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("midistill-inplace-").FullName;

    static CheckpointInPlaceTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>What <c>Module.load</c> does to a CUDA module, on the CPU: every parameter and buffer is replaced by a new tensor and the old one disposed.</summary>
    private sealed class ReplacesOnLoad : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1 = nn.Linear(6, 8);
        private readonly BatchNorm1d norm = nn.BatchNorm1d(8);
        private readonly Linear head = nn.Linear(8, 3);

        public ReplacesOnLoad() : base(nameof(ReplacesOnLoad)) => RegisterComponents();

        public override Tensor forward(Tensor x) => head.call(nn.functional.relu(norm.call(fc1.call(x))));

        public override nn.Module load(BinaryReader reader, bool strict = true, IList<string>? skip = null, Dictionary<string, bool>? loadedParameters = null)
        {
            base.load(reader, strict, skip, loadedParameters);
            this.to(ScalarType.Float64);
            this.to(ScalarType.Float32);
            return this;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) { fc1.Dispose(); norm.Dispose(); head.Dispose(); }
            base.Dispose(disposing);
        }
    }

    private static optim.Optimizer Optimizer(string kind, nn.Module model) => kind switch
    {
        "sgd" => optim.SGD(model.parameters(), 0.05, momentum: 0.9),
        "adamw" => optim.AdamW(model.parameters(), 0.01),
        "sam" => new Sam(model.parameters(), optim.AdamW(model.parameters(), 0.01), rho: 0.05),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static void TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, int step)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(100 + step));
        var x = randn(new long[] { 8, 6 }, generator: generator);
        var y = randint(3, new long[] { 8 }, generator: generator);
        optimizer.step(() =>
        {
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            return loss;
        });
    }

    private static TrainerProgress Progress() => new()
    {
        Stage = "finetune",
        Variant = "v",
        Epoch = 0,
        NextBatch = 2,
        GlobalStep = 2,
        LossSum = 0,
        Correct = 0,
        Seen = 0,
        BestAccuracy = double.NegativeInfinity,
        BestEpoch = 1,
        HasBest = false,
        Lines = Array.Empty<string>(),
    };

    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    [InlineData("sam")]
    public void Loading_a_checkpoint_keeps_the_parameters_the_optimizer_holds_and_training_continues_exactly(string kind)
    {
        torch.manual_seed(1);
        using var resumed = new ReplacesOnLoad();
        torch.manual_seed(1);
        using var uninterrupted = new ReplacesOnLoad();
        using var resumedOptimizer = Optimizer(kind, resumed);
        using var uninterruptedOptimizer = Optimizer(kind, uninterrupted);
        for (int step = 0; step < 2; step++)
        {
            TrainStep(resumed, resumedOptimizer, step);
            TrainStep(uninterrupted, uninterruptedOptimizer, step);
        }

        var path = Path.Combine(_root, $"{kind}.ckpt");
        TrainerCheckpoint.Save(path, Progress(), resumed, resumedOptimizer, null);
        var before = resumed.parameters().ToArray();
        TrainerCheckpoint.Load(path, resumed, resumedOptimizer);

        // The very objects the optimizer was built on are still the model's, alive.
        var now = resumed.parameters().ToArray();
        Assert.Equal(before.Length, now.Length);
        for (int i = 0; i < now.Length; i++)
        {
            Assert.Same(before[i], now[i]);
            Assert.False(now[i].IsInvalid);
        }
        Assert.All(resumedOptimizer.parameters(), p => Assert.Contains(now, q => ReferenceEquals(p, q)));
        if (resumedOptimizer is IWrappingOptimizer wrapping)
            Assert.All(wrapping.Inner.parameters(), p => Assert.Contains(now, q => ReferenceEquals(p, q)));

        // And the next steps are those of the run that was never stopped, bit for bit.
        for (int step = 2; step < 4; step++)
        {
            TrainStep(resumed, resumedOptimizer, step);
            TrainStep(uninterrupted, uninterruptedOptimizer, step);
        }
        foreach (var ((name, a), (_, b)) in resumed.state_dict().Zip(uninterrupted.state_dict()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs from the uninterrupted run");
    }

    [Fact]
    public void A_checkpoint_of_another_shape_is_unreadable_naming_the_tensor()
    {
        torch.manual_seed(1);
        using var small = nn.Sequential(nn.Linear(6, 3));
        using var smallOptimizer = optim.SGD(small.parameters(), 0.1);
        var path = Path.Combine(_root, "small.ckpt");
        TrainerCheckpoint.Save(path, Progress(), small, smallOptimizer, null);

        using var other = nn.Sequential(nn.Linear(6, 4));
        using var otherOptimizer = optim.SGD(other.parameters(), 0.1);
        var e = Assert.Throws<InvalidDataException>(() => TrainerCheckpoint.Load(path, other, otherOptimizer));
        Assert.StartsWith($"{path}: the checkpoint is unreadable (", e.Message);
        Assert.Contains("0.weight", e.Message);
    }
}
