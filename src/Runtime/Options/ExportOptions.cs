namespace MiDistill.Runtime.Options;

// The `export` section: deployable ONNX files at the end of a run (docs/deploy.md). Off unless a
// recipe asks, so a recipe without `export` runs exactly as before.

/// <summary>Which models of each unit are written as ONNX files once the unit has its result.</summary>
[RecipeSection("export", "ONNX files of the distilled student (and on request the teacher) at the end of each unit, checked in ONNX Runtime against TorchSharp (docs/deploy.md).", Order = 8)]
public sealed record ExportOptions
{
    /// <summary>Write the student as <c>export/variant-seedN-student.onnx</c> in the run folder.</summary>
    [RecipeSetting(Doc = "write the distilled student as export/VARIANT-seedN-student.onnx in the run folder", Default = "false")]
    public bool Onnx { get; init; }
    /// <summary>Also write the fine-tuned teacher (with its MLP reweighting folded in).</summary>
    [RecipeSetting(Doc = "also write the fine-tuned teacher (its MLP reweighting folded in), when `onnx` is on", Default = "false")]
    public bool Teacher { get; init; }
    /// <summary>Also write each exported model with int8 weights, and report both files' test-split accuracy.</summary>
    [RecipeSetting(Doc = "also write each exported model with int8 weights per output channel (QDQ) as .int8.onnx, with its test-split accuracy beside the float model's", Default = "false")]
    public bool Int8 { get; init; }
}
