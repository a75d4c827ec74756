using System.Linq;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Models;

public sealed class TimmPresetTests
{
    static TimmPresetTests() => torch.set_num_threads(1);

    // Parameter counts timm reports for its 1000-class models (timm.create_model(name).num_params).
    [Theory]
    [InlineData(192, 12, 3, 16, 5_717_416)]   // vit_tiny_patch16_224
    [InlineData(384, 12, 6, 16, 22_050_664)]  // vit_small_patch16_224
    public void ParameterCount_MatchesTimm(int dim, int depth, int heads, int patch, long expected)
    {
        var o = new VitOptions { Name = "timm", ImageSize = 224, PatchSize = patch, InChannels = 3, EmbedDim = dim, Depth = depth, Heads = heads, MlpRatio = 4 };
        using var vit = new VisionTransformer(o.Spec, 1000);
        Assert.Equal(expected, vit.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void InputAdapter_RenormalisesToTheCheckpointsStatistics()
    {
        // A pixel of value 0.5, normalised with the data's statistics as batches arrive.
        using var batch = full(new long[] { 1, 1, 4, 4 }, (0.5f - 0.2860f) / 0.3530f);
        var adapter = new InputAdapter(4, 3) { Normalize = Normalization.ImageNet, DataStatistics = new MiDistill.Runtime.Data.ChannelStatistics(new[] { 0.2860f }, new[] { 0.3530f }) };
        using var x = adapter.Apply(batch);
        Assert.Equal(new long[] { 1, 3, 4, 4 }, x.shape);
        var expected = new[] { (0.5 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.5 - 0.406) / 0.225 };
        for (int c = 0; c < 3; c++)
            Assert.Equal(expected[c], x[0, c, 0, 0].item<float>(), 4);
    }
}
