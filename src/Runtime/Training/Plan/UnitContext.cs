using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// One unit as it runs: the run it belongs to, its options, and the artefacts its steps have
/// produced so far. Disposable artefacts (models) are disposed with the unit.
/// </summary>
public sealed class UnitContext : IDisposable
{
    private readonly Dictionary<Artefact, object?> _artefacts = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    internal UnitContext(RunContext run, PlanUnit unit)
    {
        Run = run;
        Unit = unit;
    }

    public RunContext Run { get; }
    public PlanUnit Unit { get; }
    public Options.ExperimentOptions Options => Unit.Options;

    /// <summary>"variant/seedN".</summary>
    public string Name => Unit.Name;

    /// <summary>The start of the unit's file names in checkpoints/ ("variant-seedN").</summary>
    public string Stem => Unit.Stem(Run.Folder.CheckpointsPath);

    /// <summary>Seconds since the unit started.</summary>
    public double Elapsed => _watch.Elapsed.TotalSeconds;

    /// <summary>Seconds the unit spent pretraining (0 when the teacher came from the cache or a checkpoint).</summary>
    public double PretrainSeconds { get; set; }

    /// <summary>True when the run state records <paramref name="work"/> of this unit as finished ("variant/seedN/work").</summary>
    public bool IsFinished(string work) => Run.State.Finished.Contains(Name + "/" + work);

    /// <summary>
    /// Records <paramref name="work"/> of this unit as finished; the runner commits the run state
    /// after <see cref="RunStep.Record"/>, so call it there, once the work is durable.
    /// </summary>
    public void MarkFinished(string work)
    {
        var key = Name + "/" + work;
        if (!Run.State.Finished.Contains(key)) Run.State.Finished.Add(key);
    }

    public bool Has(Artefact key) => _artefacts.ContainsKey(key);

    public T Get<T>(Artefact<T> key) =>
        _artefacts.TryGetValue(key, out var value) ? (T)value!
            : throw new InvalidOperationException($"unit {Name}: no `{key.Name}` yet; the step that needs it must list it in Needs");

    /// <summary>The artefact, or the default when the plan did not produce it for this unit (a labels-only unit has no teacher).</summary>
    public T? Find<T>(Artefact<T> key) => _artefacts.TryGetValue(key, out var value) ? (T?)value : default;

    public void Set<T>(Artefact<T> key, T value)
    {
        if (_artefacts.TryGetValue(key, out var old) && !ReferenceEquals(old, value) && old is IDisposable disposable)
            disposable.Dispose();
        _artefacts[key] = value;
    }

    public void Dispose()
    {
        foreach (var value in _artefacts.Values)
            if (value is IDisposable disposable) disposable.Dispose();
        _artefacts.Clear();
    }
}
