using System;
using System.IO;
using System.Linq;
using System.Text;
using MiDistill.Runtime.Checkpoints;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Checkpoints;

/// <summary>Each broken checkpoint gives a clear error naming the file (and key, shapes, dtype), and changes nothing.</summary>
public sealed class BadCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("midistill-ckpt-").FullName;

    static BadCheckpointTests() => torch.set_num_threads(1);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Temp(string name) => Path.Combine(_dir, name);

    private static ResNet SmallResNet() => new(8, imageNetStem: false, 1, 10);

    private static CheckpointException LoadFails(nn.Module<Tensor, Tensor> model, string path)
    {
        using var before = model.state_dict()["conv1.weight"].clone();
        var e = Assert.Throws<CheckpointException>(() => ModelCheckpoints.Load(model, path));
        Assert.Contains(path, e.Message);
        // Nothing half-loaded.
        Assert.Equal(0.0, Fixtures.MaxAbsDiff(model.state_dict()["conv1.weight"], before));
        return e;
    }

    [Fact]
    public void MissingFile_NamesIt()
    {
        using var model = SmallResNet();
        var e = LoadFails(model, Temp("nope.safetensors"));
        Assert.Contains("file not found", e.Message);
    }

    [Fact]
    public void TruncatedHeader()
    {
        var path = Temp("short.safetensors");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        using var model = SmallResNet();
        Assert.Contains("shorter than the 8-byte header length", LoadFails(model, path).Message);

        var bytes = File.ReadAllBytes(Fixtures.PathOf("resnet18_w8_small.safetensors"));
        File.WriteAllBytes(path, bytes.Take(200).ToArray());
        Assert.Contains("corrupt safetensors header", LoadFails(model, path).Message);
    }

    [Fact]
    public void CorruptJson()
    {
        var path = Temp("json.safetensors");
        var json = Encoding.UTF8.GetBytes("{\"conv1.weight\": {\"dtype\": \"F32\", ");
        File.WriteAllBytes(path, BitConverter.GetBytes((ulong)json.Length).Concat(json).ToArray());
        using var model = SmallResNet();
        Assert.Contains("invalid JSON", LoadFails(model, path).Message);
    }

    [Fact]
    public void TruncatedData_NamesTheTensor()
    {
        var path = Temp("cut.safetensors");
        var bytes = File.ReadAllBytes(Fixtures.PathOf("resnet18_w8_small.safetensors"));
        File.WriteAllBytes(path, bytes.Take(bytes.Length - 100).ToArray());
        using var model = SmallResNet();
        var e = LoadFails(model, path);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("tensor '", e.Message);
    }

    [Fact]
    public void WrongShape_NamesKeyAndShapes()
    {
        // A small-stem checkpoint into the ImageNet stem: conv1 is 3x3 on 1 channel, not 7x7 on 3.
        using var model = new ResNet(8, imageNetStem: true, 3, 10);
        var e = LoadFails(model, Fixtures.PathOf("resnet18_w8_small.safetensors"));
        Assert.Contains("'conv1.weight' has shape [8, 1, 3, 3], but the model expects [8, 3, 7, 7]", e.Message);
    }

    [Fact]
    public void WrongShapeLate_LeavesEarlierParametersUntouched()
    {
        var tensors = Safetensors.Read(Fixtures.PathOf("resnet18_w8_small.safetensors")).ToList();
        int i = tensors.FindIndex(t => t.Name == "layer4.1.bn2.weight");
        tensors[i] = (tensors[i].Name, torch.ones(3));
        var path = Temp("late.safetensors");
        Safetensors.Write(path, tensors);
        using var model = SmallResNet();
        Assert.Contains("'layer4.1.bn2.weight' has shape [3]", LoadFails(model, path).Message);
    }

    [Fact]
    public void OtherArchitecture_SummarisesMissingAndUnexpectedKeys()
    {
        using var model = SmallResNet();
        var e = LoadFails(model, Fixtures.PathOf("vit_micro.safetensors"));
        Assert.Contains("does not match the ResNet architecture", e.Message);
        Assert.Contains("keys missing (conv1.weight, bn1.weight", e.Message);
        Assert.Contains("unexpected keys (cls_token, pos_embed", e.Message);
        Assert.Contains("more", e.Message);
    }

    [Fact]
    public void UnusableDtype_NamesKeyAndDtype()
    {
        var path = Temp("dtype.safetensors");
        var json = Encoding.UTF8.GetBytes("{\"conv1.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}");
        File.WriteAllBytes(path, BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[2]).ToArray());
        using var model = SmallResNet();
        var e = LoadFails(model, path);
        Assert.Contains("'conv1.weight' has dtype F8_E4M3, which this runtime cannot use", e.Message);
    }

    [Fact]
    public void IntegerTensorForFloatWeights_IsRejected()
    {
        var tensors = Safetensors.Read(Fixtures.PathOf("resnet18_w8_small.safetensors")).ToList();
        int i = tensors.FindIndex(t => t.Name == "fc.bias");
        tensors[i] = (tensors[i].Name, torch.zeros(new long[] { 10 }, ScalarType.Int64));
        var path = Temp("int.safetensors");
        Safetensors.Write(path, tensors);
        using var model = SmallResNet();
        Assert.Contains("'fc.bias' has dtype Int64", LoadFails(model, path).Message);
    }

    [Fact]
    public void HalfPrecision_IsConvertedAndLoads()
    {
        var tensors = Safetensors.Read(Fixtures.PathOf("cnn_small_w8.safetensors"))
            .Select(t => (t.Name, t.Tensor.is_floating_point() ? t.Tensor.to(ScalarType.Float16) : t.Tensor)).ToList();
        var path = Temp("half.safetensors");
        Safetensors.Write(path, tensors);
        using var model = new SmallCnn(8, 1, 10);
        var report = ModelCheckpoints.Load(model, path);
        Assert.Equal(model.state_dict().Count, report.Loaded.Count);
    }
}
