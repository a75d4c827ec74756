using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>Cross-setting checks of the `analyze` section (kept apart from <see cref="RecipeChecks"/> so each concern reads on its own).</summary>
internal static class AnalyzeChecks
{
    /// <summary>Fashion-MNIST's test split holds exactly 1,000 images of every class.</summary>
    public const int FashionMnistTestPerClass = 1000;
    private static readonly string[] Switches = { "mi_per_block", "bottleneck", "sparsity", "information_plane" };

    public static void Run(Dictionary<(string, string), BoundValue> settings, Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        bool anyOn = Switches.Any(s => ((BoolValue)((BoundScalar)settings[("analyze", s)]).Value).Value);
        var section = RecipeSchema.FindSection("analyze")!;
        if (!anyOn)
        {
            var written = section.Settings.Where(s => !Switches.Contains(s.Name) && !settings[("analyze", s.Name)].FromDefault).ToList();
            if (written.Count > 0)
                report(Descriptors.AnalyzeNothingOn, settings[("analyze", written[0].Name)].Span, new object[] { written[0].Name });
            return;
        }

        var probe = (BoundScalar)settings[("analyze", "probe")];
        long probeSize = ((IntValue)probe.Value).Value;
        if (probeSize < 100)
            report(Descriptors.SmallProbe, probe.Span, new object[] { probeSize });
        if (((BoundForm)settings[("analyze", "probe_split")]).Form.Name == "test")
        {
            long cap = ((IntValue)((BoundScalar)settings[("data", "test_images")]).Value).Value;
            int classes = ((IntListValue)((BoundScalar)settings[("data", "classes")]).Value).Values.Count;
            long available = FashionMnistTestPerClass * (long)classes;
            if (cap > 0 && cap < available) available = cap;
            if (probeSize > available)
                report(Descriptors.ProbeTooLarge, probe.Span, new object[] { probeSize, available, cap > 0 && cap == available ? "`data.test_images`" : $"{classes} classes x {FashionMnistTestPerClass} Fashion-MNIST test images" });
        }

        foreach (var name in new[] { "estimator", "cross_check" })
        {
            var form = (BoundForm)settings[("analyze", name)];
            if (form.Form.Name == "renyi" && form.Argument("alpha") is BoundScalar { Value: FloatValue { Value: 1.0 } } alpha)
                report(Descriptors.RenyiAlphaOne, alpha.Span, Array.Empty<object>());
            if (form.Form.Name == "ksg" && form.Argument("k") is BoundScalar { Value: IntValue k } && k.Value >= probeSize)
                report(Descriptors.KsgTooFewSamples, form.Argument("k")!.Span, new object[] { k.Value, probeSize });
        }
    }
}
