using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using MiDistill.Runtime.Training;
using MiDistill.Runtime.Training.Plan;
using MiDistill.Runtime.Training.Steps;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Recipes;

/// <summary>
/// A step only this test project declares: after distillation it counts the student's correct
/// test predictions with its own loop and writes them to probe-&lt;unit&gt;.txt in the run folder.
/// Every computation appends a line to probe-log.txt, so the tests can count how often it ran.
/// MIDISTILL_TEST_KILL_IN_PROBE=&lt;unit&gt; kills the process (SIGKILL) inside the step.
/// </summary>
public sealed class ProbeStep : RunStep
{
    public override string Name => "probe";
    public override string Doc => "count the student's correct test predictions (a test project's own step)";
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.Student };
    public override bool KeepsWork => true;

    public static string FileOf(string runFolder, string unit) => Path.Combine(runFolder, $"probe-{unit.Replace('/', '-')}.txt");

    public override bool IsDone(UnitContext unit) => unit.IsFinished(Name) && File.Exists(FileOf(unit.Run.Folder.Path, unit.Name));

    private string? _text;

    public override void Run(UnitContext unit)
    {
        File.AppendAllText(Path.Combine(unit.Run.Folder.Path, "probe-log.txt"), unit.Name + "\n");
        if (Environment.GetEnvironmentVariable("MIDISTILL_TEST_KILL_IN_PROBE") == unit.Name)
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        var data = unit.Get(StepArtefacts.Data);
        var student = unit.Get(StepArtefacts.Student);
        var input = Stages.StudentInput(unit.Options, data);
        int correct = 0;
        using (no_grad())
        {
            for (int start = 0; start < data.Test.Count; start += 100)
            {
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(100, data.Test.Count - start)).ToArray();
                var (images, labels) = data.Test.ToTensors(indices);
                var predicted = student.call(input.Apply(images.to(unit.Run.Device))).argmax(1).to(CPU);
                correct += (int)predicted.eq(labels.to(ScalarType.Int64)).sum().item<long>();
            }
        }
        _text = $"{correct}/{data.Test.Count}";
    }

    public override void Record(UnitContext unit)
    {
        var file = FileOf(unit.Run.Folder.Path, unit.Name);
        File.WriteAllText(file + ".tmp", _text!.ToString(CultureInfo.InvariantCulture));
        File.Move(file + ".tmp", file, overwrite: true);
        unit.MarkFinished(Name);
    }
}
