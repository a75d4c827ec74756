using System;
using System.Linq;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;
using OptimizerOptions = MiDistill.Runtime.Options.OptimizerOptions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Optim;

public sealed class OptimizerFactoryTests
{
    static OptimizerFactoryTests() => torch.set_num_threads(1);

    // Runs `steps` updates on L(w) = 0.5 k w^2 + c w from w = w0 and returns w.
    private static double Run(OptimizerOptions o, double w0, int steps, double k, double c)
    {
        using var w = new Parameter(tensor(new[] { w0 }, ScalarType.Float64));
        using var opt = OptimizerFactory.Create(o, new[] { w });
        for (int i = 0; i < steps; i++) {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = (0.5 * k * w * w + c * w).sum();
            loss.backward();
            opt.step();
        }
        return w.detach().data<double>()[0];
    }

    [Fact]
    public void Sgd_PassesMomentumThrough()
    {
        // g0 = 1, buf = 1, w1 = 0.9; g1 = 0.9, buf = 0.9 + 0.9 = 1.8, w2 = 0.9 - 0.18.
        Assert.Equal(0.72, Run(new SgdOptions(0.1, 0.9, 0, false), 1.0, 2, k: 1, c: 0), 12);
    }

    [Fact]
    public void Sgd_PassesNesterovThrough()
    {
        // g = 1, buf = 1, step direction g + 0.9 buf = 1.9.
        Assert.Equal(0.81, Run(new SgdOptions(0.1, 0.9, 0, true), 1.0, 1, k: 1, c: 0), 12);
    }

    [Fact]
    public void Sgd_PassesWeightDecayThrough()
    {
        // Zero loss gradient: only the L2 term 0.5 w moves w.
        Assert.Equal(0.95 * 2.0, Run(new SgdOptions(0.1, 0, 0.5, false), 2.0, 1, k: 0, c: 0), 12);
    }

    [Fact]
    public void AdamW_DecouplesWeightDecay()
    {
        // First Adam step is lr * g/|g| (bias-corrected); decoupled decay shrinks w by (1 - lr wd) first.
        double expected = 1.0 * (1 - 0.1 * 0.5) - 0.1 * 1.0 / (1.0 + 1e-8);
        Assert.Equal(expected, Run(new AdamWOptions(0.1, 0.9, 0.999, 0.5), 1.0, 1, k: 0, c: 1), 9);
    }

    [Fact]
    public void Create_ReturnsTheNamedOptimizer()
    {
        using var w = new Parameter(zeros(2));
        using var sgd = OptimizerFactory.Create(new SgdOptions(0.1, 0.9, 1e-4, true), new[] { w });
        using var adamw = OptimizerFactory.Create(new AdamWOptions(1e-3, 0.9, 0.999, 0.05), new[] { w });
        Assert.IsType<SGD>(sgd);
        Assert.IsType<AdamW>(adamw);
        Assert.Equal(0.1, sgd.ParamGroups.Single().LearningRate);
        Assert.Equal(1e-3, adamw.ParamGroups.Single().LearningRate);
    }

    [Fact]
    public void Create_RejectsNonsense()
    {
        using var w = new Parameter(zeros(2));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new SgdOptions(0.1, 0, 0, true), new[] { w }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(new SgdOptions(0, 0.9, 0, false), new[] { w }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(new AdamWOptions(1e-3, 1.0, 0.999, 0), new[] { w }));
    }

    [Fact]
    public void SetLearningRate_ReachesEveryGroup()
    {
        using var a = new Parameter(zeros(2));
        using var b = new Parameter(zeros(3));
        using var sgd = optim.SGD(new[] { new SGD.ParamGroup(new[] { a }, lr: 0.1), new SGD.ParamGroup(new[] { b }, lr: 0.3) }, 0.1);

        OptimizerFactory.SetLearningRate(sgd, 0.05);

        Assert.All(sgd.ParamGroups, g => Assert.Equal(0.05, g.LearningRate));
    }

    [Fact]
    public void BaseLearningRate_ReadsTheOptions()
    {
        Assert.Equal(0.1, new SgdOptions(0.1, 0.9, 0, false).BaseLearningRate);
        Assert.Equal(3e-4, new AdamWOptions(3e-4, 0.9, 0.999, 0.05).BaseLearningRate);
    }
}
