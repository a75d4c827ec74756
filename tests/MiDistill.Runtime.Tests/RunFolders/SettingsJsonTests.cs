using System;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.RunFolders;

namespace MiDistill.Runtime.Tests.RunFolders;

public sealed class SettingsJsonTests
{
    [Fact]
    public void Abstract_records_carry_a_kind_and_their_fields()
    {
        var data = new DataOptions
        {
            Source = new ImageFolderSource(32, ColorMode.Rgb),
            Path = "/data",
            Classes = new[] { 5, 6 },
            Regime = new FewShotRegime(5),
            ValidationFraction = 0.2,
            MaxTestImages = 0,
            Seed = 7,
        };
        Assert.Equal(
            """
            {
              "source": {
                "kind": "ImageFolderSource",
                "imageSize": 32,
                "color": "Rgb",
                "resize": "Bilinear",
                "cacheMb": 1024
              },
              "path": "/data",
              "classes": [
                5,
                6
              ],
              "regime": {
                "kind": "FewShotRegime",
                "perClass": 5
              },
              "validationFraction": 0.2,
              "validationPerClass": 0,
              "maxTestImages": 0,
              "seed": 7,
              "reservedPerClass": 0
            }
            """.Replace("\r\n", "\n"),
            SettingsJson.Serialize(data));
    }

    [Fact]
    public void Nested_polymorphism_and_enums_as_strings()
    {
        var json = SettingsJson.Serialize(Experiment());
        Assert.Contains("\"kind\": \"SamObjective\"", json);
        Assert.Contains("\"rho\": 0.05", json);
        Assert.Contains("\"kind\": \"RampReweightSchedule\"", json);
        Assert.Contains("\"metrics\": [\n      \"Accuracy\",\n      \"BalancedAccuracy\"\n    ]", json);
        Assert.Contains("\"device\": \"Cpu\"", json);
    }

    [Fact]
    public void A_concrete_record_on_its_own_still_names_its_kind()
    {
        Assert.Equal("{\n  \"kind\": \"SamObjective\",\n  \"rho\": 0.1\n}", SettingsJson.Serialize(new SamObjective(0.1)));
    }

    [Fact]
    public void Settings_round_trip()
    {
        var json = SettingsJson.Serialize(Experiment());
        var back = SettingsJson.Deserialize<ExperimentOptions>(json);
        Assert.IsType<SamObjective>(back.Finetune.Objective);
        Assert.Equal(json, SettingsJson.Serialize(back));
    }

    internal static ExperimentOptions Experiment() => new()
    {
        Recipe = "fewshot",
        Variant = "remem",
        Teacher = new TeacherOptions
        {
            Model = new VitOptions { Name = "vit-tiny", ImageSize = 28, PatchSize = 4, InChannels = 1, EmbedDim = 64, Depth = 4, Heads = 4, MlpRatio = 4 },
            Pretrain = new PretrainOptions
            {
                Classes = new[] { 0, 1, 2, 3, 4 }, Epochs = 3, BatchSize = 128,
                Optimizer = new AdamWOptions(1e-3, 0.9, 0.999, 0.05), Schedule = new CosineLr(1, 0.01), MaxImages = 0, Seed = 0,
            },
        },
        Data = new DataOptions
        {
            Source = new FashionMnistSource(), Path = "/data", Classes = new[] { 5, 6, 7, 8, 9 }, Regime = new LongTailRegime(10, 0),
            ValidationFraction = 0.1, MaxTestImages = 0, Seed = 1,
        },
        Finetune = new FinetuneOptions
        {
            Objective = new SamObjective(0.05), Reweight = new MlpReweight(2, 0.5, new RampReweightSchedule(3)),
            Optimizer = new SgdOptions(0.01, 0.9, 0, true), Schedule = new ConstantLr(), Epochs = 10, BatchSize = 32,
        },
        Distill = new DistillOptions
        {
            Student = new SmallCnnOptions(16), Loss = new KdLossOptions(4, 1), Optimizer = new SgdOptions(0.05, 0.9, 5e-4, false),
            Schedule = new ConstantLr(), Epochs = 20, BatchSize = 64,
        },
        Evaluate = new EvaluateOptions { Metrics = new[] { Metric.Accuracy, Metric.BalancedAccuracy }, Protocol = new PaperProtocol(new[] { 5, 10 }) },
        Run = new RunOptions { Device = DeviceKind.Cpu, Threads = 0, Seeds = new[] { 1, 2 }, CheckpointEverySteps = 0, OutputDirectory = "runs", CacheDirectory = "cache" },
        Analyze = new AnalyzeOptions
        {
            MiPerBlock = true, Bottleneck = false, Sparsity = false, InformationPlane = true,
            Estimator = new RenyiEstimatorOptions(1.01, new MedianKernelWidth(1)), CrossCheck = new KsgEstimatorOptions(5, 4),
            ProbeImages = 500, ProbeSplit = ProbeSplit.Test, Token = ProbeToken.Cls,
        },
    };
}
