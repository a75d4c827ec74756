using System;
using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>Cross-setting checks of the `analyze` section (kept apart from <see cref="RecipeChecks"/> so each concern reads on its own).</summary>
internal static class AnalyzeChecks
{
    public static void Run(RecipeSchema schema, VariantSettings settings, DataFacts? facts, Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        bool anyOn = Paths.AnalysisSwitches.Any(s => settings[s].AsBool());
        var section = schema.FindSection(Paths.AnalyzeProbe.Section)!;
        if (!anyOn)
        {
            var written = section.Settings.Select(s => new SettingPath(section.Name, s.Name)).Where(p => !Paths.AnalysisSwitches.Contains(p) && !settings[p].FromDefault).ToList();
            if (written.Count > 0)
                report(Descriptors.AnalyzeNothingOn, settings[written[0]].Span, new object[] { written[0].Setting });
            return;
        }

        var probe = settings[Paths.AnalyzeProbe];
        long probeSize = probe.AsInt();
        if (probeSize < 100)
            report(Descriptors.SmallProbe, probe.Span, new object[] { probeSize });
        // Only a source that declares its test split's size can be checked at build time.
        if (settings.Form(Paths.AnalyzeProbeSplit).Is(Paths.TestSplit) && facts is { TestImagesPerClass: > 0 })
        {
            long cap = settings.Int(Paths.DataTestImages);
            int classes = settings[Paths.DataClasses].AsInts().Count;
            long available = facts.TestImagesPerClass * (long)classes;
            if (cap > 0 && cap < available) available = cap;
            if (probeSize > available)
                report(Descriptors.ProbeTooLarge, probe.Span, new object[] { probeSize, available, cap > 0 && cap == available ? "`data.test_images`" : $"{classes} classes x {facts.TestImagesPerClass} {facts.Title} test images" });
        }

        // The cross-check is a second estimator of the same choice.
        foreach (var setting in new[] { Paths.AnalyzeEstimator, Paths.AnalyzeCrossCheck })
        {
            var form = settings.Form(setting);
            if (form.Is(Paths.Renyi) && form.Float(Paths.RenyiAlpha) == 1.0)
                report(Descriptors.RenyiAlphaOne, form.Required(Paths.RenyiAlpha).Span, Array.Empty<object>());
            if (form.Is(Paths.Ksg) && form.Int(Paths.KsgK) >= probeSize)
                report(Descriptors.KsgTooFewSamples, form.Required(Paths.KsgK).Span, new object[] { form.Int(Paths.KsgK), probeSize });
        }
    }
}
