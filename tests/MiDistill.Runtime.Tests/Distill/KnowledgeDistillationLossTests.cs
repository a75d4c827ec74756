using System;
using System.Linq;
using MiDistill.Runtime.Distill;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Distill;

public sealed class KnowledgeDistillationLossTests
{
    static KnowledgeDistillationLossTests() => torch.set_num_threads(1);

    private static readonly double[][] Student = { new[] { 1.0, 2.0, 0.5 }, new[] { 0.1, -1.0, 2.0 } };
    private static readonly double[][] Teacher = { new[] { 3.0, 0.0, 1.0 }, new[] { -0.5, 0.5, 1.0 } };
    private static readonly long[] Labels = { 1, 2 };

    private static double[] Softmax(double[] z, double temperature)
    {
        var e = z.Select(v => Math.Exp(v / temperature)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    // The closed form, in doubles, independent of TorchSharp.
    private static double Reference(double temperature, double weight)
    {
        double ce = 0, kl = 0;
        for (int i = 0; i < 2; i++) {
            ce += -Math.Log(Softmax(Student[i], 1)[Labels[i]]);
            var p = Softmax(Teacher[i], temperature);
            var q = Softmax(Student[i], temperature);
            for (int c = 0; c < 3; c++) kl += p[c] * Math.Log(p[c] / q[c]);
        }
        return (1 - weight) * ce / 2 + weight * temperature * temperature * kl / 2;
    }

    private static Tensor Matrix(double[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length }, ScalarType.Float64);

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, 0.5)]
    [InlineData(4.0, 1.0)]
    [InlineData(4.0, 0.0)]
    [InlineData(4.0, 0.5)]
    public void Compute_MatchesTheClosedForm(double temperature, double weight)
    {
        using var scope = NewDisposeScope();
        var s = Matrix(Student);
        var t = Matrix(Teacher);
        var y = tensor(Labels);

        var loss = KnowledgeDistillationLoss.Compute(s, t, y, temperature, weight);

        Assert.Empty(loss.shape);
        Assert.Equal(Reference(temperature, weight), loss.item<double>(), 1e-10);
    }

    [Fact]
    public void ReferenceItself_IsNotDegenerate()
    {
        // Guards the closed form against a bug that would make every case agree trivially.
        Assert.True(Reference(1, 1) > 0.1);
        Assert.NotEqual(Reference(1, 1), Reference(4, 1), 3);
        Assert.NotEqual(Reference(1, 0), Reference(1, 1), 3);
        Assert.Equal(Reference(4, 0), Reference(1, 0), 12);
    }

    [Fact]
    public void ModuleForm_AgreesWithCompute()
    {
        using var scope = NewDisposeScope();
        using var kd = new KnowledgeDistillationLoss(temperature: 4, weight: 0.5);

        var loss = kd.forward(Matrix(Student), Matrix(Teacher), tensor(Labels));

        Assert.Equal(Reference(4, 0.5), loss.item<double>(), 1e-10);
    }

    [Fact]
    public void Gradient_ReachesTheStudentButNotTheTeacher()
    {
        using var scope = NewDisposeScope();
        var s = Matrix(Student).requires_grad_();
        var t = Matrix(Teacher).requires_grad_();

        KnowledgeDistillationLoss.Compute(s, t, tensor(Labels), 2, 0.5).backward();

        Assert.NotNull(s.grad);
        Assert.True(s.grad!.abs().sum().item<double>() > 0);
        Assert.Null(t.grad);
    }

    [Fact]
    public void PureDistillation_NeedsNoLabels()
    {
        using var scope = NewDisposeScope();
        var loss = KnowledgeDistillationLoss.Compute(Matrix(Student), Matrix(Teacher), null, 1, 1);
        Assert.Equal(Reference(1, 1), loss.item<double>(), 1e-10);
    }

    [Fact]
    public void Compute_RejectsBadArguments()
    {
        using var scope = NewDisposeScope();
        var s = Matrix(Student);
        var t = Matrix(Teacher);
        Assert.Throws<ArgumentNullException>(() => KnowledgeDistillationLoss.Compute(s, t, null, 1, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => KnowledgeDistillationLoss.Compute(s, t, tensor(Labels), 0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => KnowledgeDistillationLoss.Compute(s, t, tensor(Labels), 1, 1.5));
        Assert.Throws<ArgumentException>(() => KnowledgeDistillationLoss.Compute(s, t.narrow(1, 0, 2), tensor(Labels), 1, 0.5));
    }
}
