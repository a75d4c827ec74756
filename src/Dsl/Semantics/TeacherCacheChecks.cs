using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Semantics;

/// <summary>
/// What a teacher-output cache cannot do (docs/teacher-cache.md): replay mixup, keep more logits than
/// there are classes, or serve a loss that needs every class's output from fewer.
/// </summary>
internal static class TeacherCacheChecks
{
    public static void Run(VariantSettings settings, int classes, System.Action<DiagnosticDescriptor, SourceSpan, object[]> report)
    {
        if (settings.Optional(Paths.DistillTeacherCacheViews) is not { } views || views.AsInt() == 0) return;
        if (settings[Paths.DistillAugment] is BoundFormList augment)
            foreach (var item in augment.Items)
                if (item.Form.Name == Paths.DistillMixup.Form)
                    report(Descriptors.TeacherCacheMixup, item.Span, System.Array.Empty<object>());
        var topK = settings[Paths.DistillTeacherCacheTopK];
        long kept = topK.AsInt();
        if (kept == 0 || classes == 0) return;
        if (kept > classes)
            report(Descriptors.TeacherCacheTopKTooLarge, topK.Span, new object[] { kept, classes });
        else if (kept < classes && settings.Form(Paths.DistillLoss) is { } loss && loss.Is(Paths.DistLoss))
            report(Descriptors.TeacherCacheTooSmallForLoss, topK.Span, new object[] { "dist", kept, classes });
    }
}
