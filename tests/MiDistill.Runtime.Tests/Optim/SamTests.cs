using System;
using System.Linq;
using MiDistill.Runtime.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Optim;

public sealed class SamTests
{
    static SamTests() => torch.set_num_threads(1);

    // L(w) = 0.5 w^T A w + b^T w, A symmetric positive definite.
    private static readonly double[,] A = { { 2.0, 0.5, 0.0 }, { 0.5, 1.0, -0.3 }, { 0.0, -0.3, 3.0 } };
    private static readonly double[] B = { 0.1, -0.2, 0.3 };
    private static readonly double[] W0 = { 1.0, -2.0, 0.5 };

    private static double[] Gradient(double[] w)
    {
        var g = new double[3];
        for (int i = 0; i < 3; i++) {
            g[i] = B[i];
            for (int j = 0; j < 3; j++) g[i] += A[i, j] * w[j];
        }
        return g;
    }

    private static double Loss(double[] w)
    {
        double l = 0;
        for (int i = 0; i < 3; i++) {
            l += B[i] * w[i];
            for (int j = 0; j < 3; j++) l += 0.5 * w[i] * A[i, j] * w[j];
        }
        return l;
    }

    private static double Norm(params double[][] parts) => Math.Sqrt(parts.SelectMany(p => p).Sum(x => x * x));

    private static Tensor QuadraticLoss(Parameter w)
    {
        using var a = tensor(new[] { A[0, 0], A[0, 1], A[0, 2], A[1, 0], A[1, 1], A[1, 2], A[2, 0], A[2, 1], A[2, 2] }, new long[] { 3, 3 }, ScalarType.Float64);
        using var b = tensor(B, ScalarType.Float64);
        return 0.5 * w.dot(a.mv(w)) + b.dot(w);
    }

    private static double[] Values(Tensor t) => t.detach().cpu().data<double>().ToArray();

    [Fact]
    public void Step_OnAQuadratic_MatchesTheHandComputedUpdate()
    {
        const double rho = 0.05, lr = 0.1;
        var g = Gradient(W0);
        double norm = Norm(g);
        var climbed = W0.Select((w, i) => w + rho * g[i] / (norm + 1e-12)).ToArray();
        var gSam = Gradient(climbed);
        var expected = W0.Select((w, i) => w - lr * gSam[i]).ToArray();

        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sam = new Sam(new[] { w }, optim.SGD(new[] { w }, lr), rho);
        using var scope = NewDisposeScope();

        var loss = sam.step(() => {
            sam.zero_grad();
            var l = QuadraticLoss(w);
            l.backward();
            return l;
        });

        Assert.Equal(Loss(W0), loss.item<double>(), 1e-9);
        var actual = Values(w);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        // Plain SGD would land elsewhere: the test can tell SAM from its base optimizer.
        Assert.True(Math.Abs((W0[0] - lr * g[0]) - actual[0]) > 1e-3);
    }

    [Fact]
    public void FirstAndSecondStep_ClimbThenRestoreBeforeTheBaseStep()
    {
        const double rho = 0.2, lr = 0.1;
        var g = Gradient(W0);
        double norm = Norm(g);
        var climbed = W0.Select((w, i) => w + rho * g[i] / (norm + 1e-12)).ToArray();
        var gSam = Gradient(climbed);

        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sam = new Sam(new[] { w }, optim.SGD(new[] { w }, lr), rho);
        using var scope = NewDisposeScope();

        QuadraticLoss(w).backward();
        sam.FirstStep();
        var atClimb = Values(w);
        for (int i = 0; i < 3; i++) Assert.Equal(climbed[i], atClimb[i], 1e-9);
        Assert.Throws<InvalidOperationException>(() => sam.FirstStep());

        sam.zero_grad();
        QuadraticLoss(w).backward();
        sam.SecondStep();
        var after = Values(w);
        for (int i = 0; i < 3; i++) Assert.Equal(W0[i] - lr * gSam[i], after[i], 1e-9);
    }

    [Fact]
    public void Perturbation_UsesOneGlobalNormAcrossParameters()
    {
        // L = 0.5 (c1 . u^2) + 0.5 (c2 v^2): gradient (c1 * u, c2 * v), two tensors.
        const double rho = 0.5, lr = 0.1;
        double[] u0 = { 1.0, -1.0 }, c1 = { 3.0, 1.0 };
        double v0 = 2.0, c2 = 0.5;
        double[] gu = { c1[0] * u0[0], c1[1] * u0[1] };
        double gv = c2 * v0;
        double global = Norm(gu, new[] { gv });
        double[] uClimb = { u0[0] + rho * gu[0] / global, u0[1] + rho * gu[1] / global };
        double vClimb = v0 + rho * gv / global;
        double[] uExpected = { u0[0] - lr * c1[0] * uClimb[0], u0[1] - lr * c1[1] * uClimb[1] };
        double vExpected = v0 - lr * c2 * vClimb;
        // Per-tensor normalisation would move v by the full rho; make sure the two differ.
        double vPerTensor = v0 - lr * c2 * (v0 + rho);
        Assert.True(Math.Abs(vExpected - vPerTensor) > 1e-3);

        using var u = new Parameter(tensor(u0, ScalarType.Float64));
        using var v = new Parameter(tensor(new[] { v0 }, ScalarType.Float64));
        using var sam = new Sam(new[] { u, v }, optim.SGD(new[] { u, v }, lr), rho);
        using var scope = NewDisposeScope();
        using var cu = tensor(c1, ScalarType.Float64);

        sam.step(() => {
            sam.zero_grad();
            var l = 0.5 * (cu * u * u).sum() + 0.5 * c2 * (v * v).sum();
            l.backward();
            return l;
        });

        var uActual = Values(u);
        Assert.Equal(uExpected[0], uActual[0], 1e-6);
        Assert.Equal(uExpected[1], uActual[1], 1e-6);
        Assert.Equal(vExpected, Values(v)[0], 1e-6);
    }

    [Fact]
    public void ParametersWithoutGradients_AreLeftAlone()
    {
        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var frozen = new Parameter(tensor(new[] { 5.0 }, ScalarType.Float64));
        using var sam = new Sam(new[] { w, frozen }, optim.SGD(new[] { w, frozen }, 0.1), 0.1);
        using var scope = NewDisposeScope();

        sam.step(() => {
            sam.zero_grad();
            var l = QuadraticLoss(w);
            l.backward();
            return l;
        });

        Assert.Equal(5.0, Values(frozen)[0]);
    }

    [Fact]
    public void AFailingSecondClosure_LeavesTheWeightsUnperturbed()
    {
        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sam = new Sam(new[] { w }, optim.SGD(new[] { w }, 0.1), 0.5);
        using var scope = NewDisposeScope();
        int calls = 0;

        Assert.Throws<InvalidOperationException>(() => sam.step(() => {
            if (++calls == 2) throw new InvalidOperationException("boom");
            sam.zero_grad();
            var l = QuadraticLoss(w);
            l.backward();
            return l;
        }));

        Assert.Equal(W0, Values(w));
    }

    [Fact]
    public void LearningRate_IsTheBaseOptimizers()
    {
        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sam = new Sam(new[] { w }, optim.SGD(new[] { w }, 0.1), 0.05);

        OptimizerFactory.SetLearningRate(sam, 0.02);

        Assert.Equal(0.02, sam.BaseOptimizer.ParamGroups.Single().LearningRate);
        Assert.Equal(0.02, sam.ParamGroups.Single().LearningRate);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Rho_MustBePositive(double rho)
    {
        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sgd = optim.SGD(new[] { w }, 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sam(new[] { w }, sgd, rho));
    }

    [Fact]
    public void Step_WithoutAClosure_Throws()
    {
        using var w = new Parameter(tensor(W0, ScalarType.Float64));
        using var sam = new Sam(new[] { w }, optim.SGD(new[] { w }, 0.1), 0.05);
        Assert.Throws<ArgumentNullException>(() => sam.step());
    }
}
