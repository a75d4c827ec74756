namespace MiDistill.Runtime.Export;

/// <summary>
/// A module that writes its evaluation-mode forward into an ONNX graph: the export mechanism every
/// built-in model uses, and a user's own student implements to be exported (TorchSharp has no tracer).
/// A module made only of <see cref="TorchSharp.Modules.Sequential"/> and layers with a converter
/// (<see cref="OnnxLayers"/>) needs nothing.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>
    /// Emits the nodes computing this module's output from <paramref name="input"/> and returns the
    /// output. Export submodules with <see cref="OnnxGraph.Call"/> under their state-dict names.
    /// </summary>
    OnnxValue ExportOnnx(OnnxGraph graph, OnnxValue input);
}
