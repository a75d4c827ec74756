using System;
using System.Collections.Generic;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>Loads the data set (once per run for units that read the same files) and draws the unit's splits.</summary>
internal sealed class DataStep : RunStep
{
    private readonly Dictionary<DataOptions, LoadedData> _loaded = new();

    public override string Name => "data";
    public override string Doc => "load the data set (shared by units that read the same files) and draw the unit's splits";
    public override Artefact? Produces => StepArtefacts.Data;

    public override void Run(UnitContext unit)
    {
        var data = Splits(unit.Options, _loaded);
        // Recorded with the replicate's results, so a sweep's collect writes the same table header (Sweeps/SweepCollector).
        unit.Run.State.WithoutValidation |= data.Validation.Count == 0;
        unit.Run.Output.WriteLine($"[{unit.Name}] data: {data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test images of classes [{string.Join(", ", data.DownstreamClasses)}]"
            + (data.Transfer.Count > 0 ? $", {data.Transfer.Count} unlabeled for distillation" : ""));
        unit.Set(StepArtefacts.Data, data);
    }

    /// <summary>
    /// The unit's splits, loading the data set into <paramref name="loaded"/> unless a unit that reads
    /// the same files loaded it already (replicates and variants share one copy). The `export` command
    /// draws the splits of a finished run the same way.
    /// </summary>
    internal static ExperimentData Splits(ExperimentOptions options, Dictionary<DataOptions, LoadedData> loaded)
    {
        var source = options.Data with { Classes = Array.Empty<int>(), Regime = new FullRegime(), Seed = 0, ValidationFraction = 0, MaxTestImages = 0 };
        if (!loaded.TryGetValue(source, out var dataset))
            loaded[source] = dataset = options.Data.Source.Load(options.Data.Path);
        return DataSplits.Build(dataset.Train, dataset.Test, options.Data.Splits(Stages.Upstream(options), options.Distill.Transfer))
            .WithClassNames(dataset.ClassNames);
    }
}
