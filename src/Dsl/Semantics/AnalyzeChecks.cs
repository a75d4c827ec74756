using System;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>Cross-setting checks of the `analyze` section (kept apart from <see cref="RecipeChecks"/> so each concern reads on its own).</summary>
internal static class AnalyzeChecks
{
    private static readonly string[] Switches = { "mi_per_block", "bottleneck", "sparsity", "information_plane" };

    public static void Run(RecipeSchema schema, VariantSettings settings, DataFacts? facts, Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        bool anyOn = Switches.Any(s => settings["analyze", s].AsBool());
        var section = schema.FindSection("analyze")!;
        if (!anyOn)
        {
            var written = section.Settings.Where(s => !Switches.Contains(s.Name) && !settings["analyze", s.Name].FromDefault).ToList();
            if (written.Count > 0)
                report(Descriptors.AnalyzeNothingOn, settings["analyze", written[0].Name].Span, new object[] { written[0].Name });
            return;
        }

        var probe = settings["analyze", "probe"];
        long probeSize = probe.AsInt();
        if (probeSize < 100)
            report(Descriptors.SmallProbe, probe.Span, new object[] { probeSize });
        // Only a source that declares its test split's size can be checked at build time.
        if (settings.Form("analyze", "probe_split").Name == "test" && facts is { TestImagesPerClass: > 0 })
        {
            long cap = settings.Int("data", "test_images");
            int classes = settings["data", "classes"].AsInts().Count;
            long available = facts.TestImagesPerClass * (long)classes;
            if (cap > 0 && cap < available) available = cap;
            if (probeSize > available)
                report(Descriptors.ProbeTooLarge, probe.Span, new object[] { probeSize, available, cap > 0 && cap == available ? "`data.test_images`" : $"{classes} classes x {facts.TestImagesPerClass} {facts.Title} test images" });
        }

        foreach (var name in new[] { "estimator", "cross_check" })
        {
            var form = settings.Form("analyze", name);
            if (form.Name == "renyi" && form.Float("alpha") == 1.0)
                report(Descriptors.RenyiAlphaOne, form.Required("alpha").Span, Array.Empty<object>());
            if (form.Name == "ksg" && form.Int("k") >= probeSize)
                report(Descriptors.KsgTooFewSamples, form.Required("k").Span, new object[] { form.Int("k"), probeSize });
        }
    }
}
