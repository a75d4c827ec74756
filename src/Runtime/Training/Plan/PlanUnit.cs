using System.IO;
using MiDistill.Runtime.Options;

namespace MiDistill.Runtime.Training.Plan;

/// <summary>
/// One replicate of one variant: the options it runs with (<see cref="Options"/> holds exactly its
/// seed) and its index in <c>run.seed</c>, which sets its data seed.
/// </summary>
public sealed record PlanUnit(ExperimentOptions Options, int Replicate)
{
    /// <summary>"variant/seedN": how the run state, the console and sweeps name the unit.</summary>
    public string Name => $"{Options.Variant}/seed{Options.Run.Seed}";

    /// <summary>The start of the unit's file names in a run folder's checkpoints/ ("variant-seedN").</summary>
    public string Stem(string checkpoints) => Path.Combine(checkpoints, $"{Options.Variant}-seed{Options.Run.Seed}");

    /// <summary>True when the unit's loss reads a teacher (false for the labels-only baseline: no teacher steps).</summary>
    public bool UsesTeacher => Options.Distill.Loss.UsesTeacher;
}
