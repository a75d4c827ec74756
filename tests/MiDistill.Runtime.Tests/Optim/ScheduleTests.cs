using System;
using MiDistill.Runtime.Optim;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Tests.Optim;

public sealed class LrScheduleTests
{
    private static readonly CosineLr Cosine = new(WarmupEpochs: 2, MinLrFactor: 0.1);

    [Theory]
    // 10 steps per epoch, 100 steps: 20 warmup steps, then 80 cosine steps.
    [InlineData(0, 1.0 / 20)]
    [InlineData(9, 10.0 / 20)]
    [InlineData(19, 1.0)]
    [InlineData(20, 1.0)]
    [InlineData(40, 0.86819805153394638)] // 0.1 + 0.9 * (1 + cos(pi/4)) / 2
    [InlineData(60, 0.55)]                 // 0.1 + 0.9 * (1 + cos(pi/2)) / 2
    [InlineData(99, 0.1003469336916747)]  // 0.1 + 0.9 * (1 + cos(79 pi/80)) / 2
    [InlineData(100, 0.1)]
    [InlineData(150, 0.1)]
    public void Cosine_WarmsUpThenDecaysToTheFloor(long step, double expected)
    {
        Assert.Equal(expected, LrSchedule.Factor(Cosine, step, totalSteps: 100, stepsPerEpoch: 10), 12);
    }

    [Fact]
    public void Cosine_WithoutWarmup_StartsAtOne()
    {
        var s = new CosineLr(0, 0);
        Assert.Equal(1.0, LrSchedule.Factor(s, 0, 50, 5), 12);
        Assert.Equal(0.5, LrSchedule.Factor(s, 25, 50, 5), 12);
    }

    [Fact]
    public void Cosine_FractionalWarmupEpochs_RoundToSteps()
    {
        var s = new CosineLr(0.5, 0);
        Assert.Equal(0.2, LrSchedule.Factor(s, 0, 100, 10), 12);
        Assert.Equal(1.0, LrSchedule.Factor(s, 4, 100, 10), 12);
    }

    [Fact]
    public void Constant_IsOne()
    {
        Assert.Equal(1.0, LrSchedule.Factor(new ConstantLr(), 17, 100, 10));
    }

    [Fact]
    public void Factor_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Factor(Cosine, -1, 100, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Factor(Cosine, 0, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Factor(new CosineLr(1, 1.5), 0, 100, 10));
    }
}

public sealed class ReweightScheduleTests
{
    [Fact]
    public void NoReweight_KeepsEveryMlp()
    {
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0 }, ReweightSchedule.Alphas(new NoReweight(), 4, 3));
    }

    [Fact]
    public void Constant_WeighsOnlyTheTopBlocks()
    {
        var o = new MlpReweight(2, 0.25, new ConstantReweightSchedule());
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0, 0.25, 0.25 }, ReweightSchedule.Alphas(o, 6, 0));
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0, 0.25, 0.25 }, ReweightSchedule.Alphas(o, 6, 9));
    }

    [Theory]
    [InlineData(0, 0.8125)] // 1 - 0.75 * 1/4
    [InlineData(1, 0.625)]  // 1 - 0.75 * 2/4
    [InlineData(2, 0.4375)] // 1 - 0.75 * 3/4
    [InlineData(3, 0.25)]
    [InlineData(10, 0.25)]
    public void Ramp_MovesFromOneToAlpha(int epoch, double expected)
    {
        var o = new MlpReweight(1, 0.25, new RampReweightSchedule(4));
        var alphas = ReweightSchedule.Alphas(o, 3, epoch);
        Assert.Equal(1.0, alphas[0]);
        Assert.Equal(1.0, alphas[1]);
        Assert.Equal(expected, alphas[2], 12);
    }

    [Fact]
    public void TopCoversAllOrNoBlocks()
    {
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, ReweightSchedule.Alphas(new MlpReweight(3, 0, new ConstantReweightSchedule()), 3, 0));
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, ReweightSchedule.Alphas(new MlpReweight(0, 0, new ConstantReweightSchedule()), 3, 0));
    }

    [Fact]
    public void Alphas_RejectsBadSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReweightSchedule.Alphas(new MlpReweight(4, 0.5, new ConstantReweightSchedule()), 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReweightSchedule.Alphas(new MlpReweight(1, 1.5, new ConstantReweightSchedule()), 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReweightSchedule.Alphas(new NoReweight(), 3, -1));
    }
}
