using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using MiDistill.Recipes;
using MiDistill.Runtime.Distill;
using MiDistill.Runtime.Models;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Tests.Distill;

/// <summary>
/// The bfloat16 teacher forward of distillation against the float32 teacher, on the CPU. The stated
/// tolerance: every logit within 0.03 + 2% of the float32 logits' largest magnitude (bfloat16 keeps
/// 8 significant bits, about 0.4% per rounding, and a ViT block rounds a few dozen times), the KD
/// loss within 2%, and top-1 agreeing on at least 95% of the images.
/// </summary>
public sealed class Bf16TeacherTests
{
    static Bf16TeacherTests() => torch.set_num_threads(1);

    /// <summary>A tiny ViT trained for a few steps, so its logits are not those of an initialisation.</summary>
    private static VisionTransformer Teacher(Tensor x, Tensor y)
    {
        torch.manual_seed(21);
        var teacher = TinyRecipe.Settings.Vanilla.Teacher.Model.Create(10);
        using var optimizer = optim.AdamW(teacher.parameters(), 3e-3);
        for (int step = 0; step < 30; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(teacher.call(x), y).backward();
            optimizer.step();
        }
        teacher.eval();
        return teacher;
    }

    [Fact]
    public void Bf16_teacher_logits_match_float32_within_the_stated_tolerance_and_leave_the_teacher_alone()
    {
        var generator = new Generator(5);
        using var x = randn(new long[] { 64, 1, 28, 28 }, generator: generator);
        using var y = randint(10, new long[] { 64 }, generator: generator);
        using var teacher = Teacher(x, y);
        var before = teacher.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var reference = teacher.call(x).detach();

        using var rngBefore = torch.random.get_rng_state();
        torch.random.manual_seed(77);
        using var expectedDraw = torch.rand(4);
        torch.random.manual_seed(77);
        using var bf16 = Bf16Teacher.Copy(teacher, () => TinyRecipe.Settings.Vanilla.Teacher.Model.Create(10));
        using var draw = torch.rand(4);
        using var logits = bf16.Forward(x);

        Assert.Equal(ScalarType.Float32, logits.dtype);
        Assert.Equal(reference.shape, logits.shape);
        double scale = reference.abs().max().item<float>();
        double worst = (logits - reference).abs().max().item<float>();
        Assert.True(scale > 1, $"the teacher's logits are too small to test with ({scale})");
        Assert.True(worst <= 0.03 + 0.02 * scale, $"bfloat16 logits differ from float32 by up to {worst:0.0000} (largest logit {scale:0.00}; tolerance {0.03 + 0.02 * scale:0.0000})");
        double agree = logits.argmax(1).eq(reference.argmax(1)).to(ScalarType.Float32).mean().item<float>();
        Assert.True(agree >= 0.95, $"top-1 agrees on {agree:P0}");
        using var student = randn(new long[] { 64, 10 }, generator: generator);
        double kd32 = KnowledgeDistillationLoss.Compute(student, reference, y, 4, 1).item<float>();
        double kd16 = KnowledgeDistillationLoss.Compute(student, logits, y, 4, 1).item<float>();
        Assert.True(Math.Abs(kd16 - kd32) <= 0.02 * Math.Abs(kd32), $"KD loss {kd16} against {kd32}");

        // The float32 teacher is unchanged, and making the copy drew nothing from the generator.
        foreach (var (name, t) in teacher.state_dict())
        {
            Assert.Equal(before[name].dtype, t.dtype);
            Assert.True(t.eq(before[name]).all().item<bool>(), name);
        }
        Assert.True(draw.eq(expectedDraw).all().item<bool>());
        torch.random.set_rng_state(rngBefore);
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void A_recipe_with_a_bfloat16_teacher_distils_as_the_float32_one_does_within_the_tolerance()
    {
        var root = Directory.CreateTempSubdirectory("midistill-bf16-").FullName;
        try
        {
            var options = new ExperimentOptions
            {
                Recipe = "bf16",
                Teacher = new TeacherOptions
                {
                    Model = new VitOptions { Name = "micro", PatchSize = 7, EmbedDim = 16, Depth = 2, Heads = 2 },
                    Pretrain = new PretrainOptions { Classes = [0, 1, 2, 3], Epochs = 1, MaxImages = 200 },
                },
                Data = new DataOptions { Classes = [4, 5], Regime = new FewShotRegime(PerClass: 8), ValidationFraction = 0, MaxTestImages = 40 },
                Finetune = new FinetuneOptions { Epochs = 1, BatchSize = 8 },
                Distill = new DistillOptions { Epochs = 2, BatchSize = 8, Student = new SmallCnnOptions(Width: 4), Loss = new KdLossOptions(Temperature: 4, Weight: 0.5) },
                Run = new RunOptions { Threads = 1, Seeds = [0], OutputDirectory = Path.Combine(root, "runs"), CacheDirectory = Path.Combine(root, "cache") },
            };
            var report = Experiment.Run([
                options with { Variant = "float32" },
                options with { Variant = "bfloat16", Distill = options.Distill with { TeacherDType = TeacherDType.BFloat16 } },
            ]);
            var lines = File.ReadLines(Path.Combine(report.RunFolder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            double Loss(string variant, int epoch) => lines.Single(l => l.GetProperty("stage").GetString() == "distill"
                && l.GetProperty("variant").GetString() == variant && l.GetProperty("epoch").GetInt32() == epoch).GetProperty("loss").GetDouble();
            // The same teacher, student initialisation and batches: only the teacher's rounding differs.
            for (int epoch = 1; epoch <= 2; epoch++)
                Assert.True(Math.Abs(Loss("bfloat16", epoch) - Loss("float32", epoch)) <= 0.02 * Loss("float32", epoch),
                    $"epoch {epoch}: distillation loss {Loss("bfloat16", epoch)} with a bfloat16 teacher, {Loss("float32", epoch)} with float32");
            // ... and it did differ: the bfloat16 copy ran.
            Assert.NotEqual(Loss("float32", 1), Loss("bfloat16", 1));
            Assert.All(report.Results, r => Assert.True(double.IsFinite(r.Student["acc"])));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
