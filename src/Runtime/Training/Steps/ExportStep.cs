using System;
using System.Collections.Generic;
using System.IO;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// `export { onnx true }`: the unit's student (and with `teacher true` its teacher) as ONNX files in
/// the run folder's export/, each checked in ONNX Runtime against TorchSharp on test images. It runs
/// after the result, whenever it applies: a file is cheap to write again, and a resumed run's
/// export/ then covers every unit. Under `protocol paper` the unit's student is the one the
/// selection reported (distilled from the teacher of the selected epoch), read from its kept file,
/// and its teacher that epoch's teacher.
/// </summary>
internal sealed class ExportStep : RunStep
{
    public override string Name => "export";
    public override string Doc => "ONNX files of the student (and the teacher on request), checked in ONNX Runtime (export)";
    public override bool AppliesTo(PlanUnit unit) => unit.Options.Export.Onnx;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) =>
        PaperSelectionStep.Selects(unit) ? new Artefact[] { StepArtefacts.Data, StepArtefacts.Result }
        : WithTeacher(unit) ? new Artefact[] { StepArtefacts.Data, StepArtefacts.Student, StepArtefacts.Teacher }
        : new Artefact[] { StepArtefacts.Data, StepArtefacts.Student };
    public override bool AlwaysRuns => true;

    private static bool WithTeacher(PlanUnit unit) => unit.Options.Export.Teacher && unit.UsesTeacher;

    public override void Run(UnitContext unit)
    {
        var data = unit.Get(StepArtefacts.Data);
        var folder = Path.Combine(unit.Run.Folder.Path, ModelExport.FolderName);
        if (PaperSelectionStep.Selects(unit.Unit))
        {
            RunSelected(unit, folder);
            return;
        }
        Export(unit, unit.Get(StepArtefacts.Student), Stages.StudentInput(unit.Options, data), "student", folder);
        if (WithTeacher(unit.Unit))
            Export(unit, unit.Get(StepArtefacts.Teacher), InputAdapter.ForTeacher(unit.Options.Teacher, data.Train.Statistics), "teacher", folder);
    }

    private static void RunSelected(UnitContext unit, string folder)
    {
        var data = unit.Get(StepArtefacts.Data);
        var epoch = unit.Get(StepArtefacts.Result).TeacherEpoch
            ?? throw new InvalidOperationException($"[{unit.Name}] `protocol paper` recorded no selected teacher epoch: nothing to export");
        unit.Run.Output.WriteLine($"[{unit.Name}] `protocol paper` selected teacher epoch {epoch} on the test split: exporting the student distilled from it"
            + (WithTeacher(unit.Unit) ? " and that teacher" : ""));
        using (var student = Stages.LoadStudent(unit.Options, data, PaperSelectionStep.StudentFile(unit.Stem, epoch), TorchSharp.torch.CPU))
            Export(unit, student, Stages.StudentInput(unit.Options, data), "student", folder);
        if (WithTeacher(unit.Unit))
        {
            using var teacher = Stages.LoadTeacher(unit.Options, data, PaperSelectionStep.TeacherFile(unit.Stem, epoch), TorchSharp.torch.CPU);
            Export(unit, teacher, InputAdapter.ForTeacher(unit.Options.Teacher, data.Train.Statistics), "teacher", folder);
        }
    }

    private static void Export(UnitContext unit, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model, InputAdapter adapter, string role, string folder)
    {
        var data = unit.Get(StepArtefacts.Data);
        var path = Path.Combine(folder, ModelExport.FileName(unit.Options, role));
        unit.Run.Output.WriteLine($"[{unit.Name}] exported the {role}: " + ModelExport.Describe(ModelExport.Write(model, adapter, unit.Options, data, role, path)));
        if (unit.Options.Export.Int8)
            unit.Run.Output.WriteLine($"[{unit.Name}] exported the {role} with int8 weights: " + ModelExport.Describe(ModelExport.WriteInt8(model, adapter, unit.Options, data, role, path)));
    }
}

/// <summary>
/// With `export { onnx true }`, checks before any training that the variant's student can be
/// exported (a fresh one is written into an ONNX graph in memory), so that a student without the
/// export mechanism fails in seconds with the error naming what to implement, not after the run.
/// </summary>
internal sealed class ExportCheckStep : RunStep
{
    public override string Name => "export-check";
    public override string Doc => "before training: the student can be written as ONNX (export)";
    public override bool AppliesTo(PlanUnit unit) => unit.Options.Export.Onnx;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data };
    public override bool AlwaysRuns => true;

    public override void Run(UnitContext unit)
    {
        var data = unit.Get(StepArtefacts.Data);
        // The fresh student's initialisation draws from the global generator: its state is put back,
        // so a run computes the same numbers with export on as with export off.
        using var state = TorchSharp.torch.get_rng_state();
        try
        {
            using var student = Stages.CreateStudent(unit.Options.Distill.Student, data);
            Export.OnnxExporter.Build(student, ModelExport.Contract(Stages.StudentInput(unit.Options, data), data.Train), data.DownstreamClasses.Count, new Dictionary<string, string>());
        }
        catch (Export.OnnxExportException e)
        {
            throw new Export.OnnxExportException($"`export {{ onnx true }}` of variant `{unit.Options.Variant}`: {e.Message}");
        }
        finally
        {
            TorchSharp.torch.set_rng_state(state);
        }
    }
}
