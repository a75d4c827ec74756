using System;
using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

public sealed class SmallCnnTests
{
    static SmallCnnTests() => torch.set_num_threads(1);

    [Fact]
    public void Width16_HasAbout50kParameters()
    {
        using var cnn = new SmallCnn(16, inChannels: 1, numClasses: 10);

        // conv3x3 without bias (in*out*9), BN weight+bias per channel, linear head.
        int[] widths = { 16, 16, 32, 32, 48, 48 };
        long convs = 0, bns = 0;
        int channels = 1;
        foreach (int w in widths) {
            convs += channels * w * 9;
            bns += 2 * w;
            channels = w;
        }
        long expected = convs + bns + (48 * 10 + 10);

        long actual = cnn.parameters().Sum(p => p.numel());
        Assert.Equal(expected, actual);
        Assert.InRange(actual, 45_000, 60_000);
    }

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    [InlineData(1, 16)]
    [InlineData(3, 17)]
    public void Forward_WorksForAnyInputOfAtLeast16(int inChannels, int size)
    {
        torch.manual_seed(0);
        using var cnn = new SmallCnn(8, inChannels, numClasses: 4);
        using var x = randn(2, inChannels, size, size);

        using var logits = cnn.forward(x);
        using var features = cnn.forward_features(x);

        Assert.Equal(new long[] { 2, 4 }, logits.shape);
        Assert.Equal(new long[] { 2, 24 }, features.shape);
        Assert.Equal(24, cnn.FeatureDim);
    }

    [Fact]
    public void Names_AreTorchvisionLike()
    {
        using var cnn = new SmallCnn(4, 1, 3);
        var names = cnn.named_parameters().Select(p => p.name).ToList();

        Assert.Equal("features.0.weight", names[0]);
        Assert.Equal("features.1.weight", names[1]);
        Assert.Equal("features.1.bias", names[2]);
        Assert.Equal(new[] { "head.weight", "head.bias" }, names.TakeLast(2));
        Assert.Contains("features.1.running_mean", cnn.state_dict().Keys);
    }

    [Fact]
    public void Options_create_the_small_cnn_on_the_data_channels()
    {
        var options = new SmallCnnOptions(16);
        using var student = options.Create(options.InputChannels(1), 10);
        Assert.IsType<SmallCnn>(student);
        Assert.Equal(1, options.InputChannels(1));
    }
}
