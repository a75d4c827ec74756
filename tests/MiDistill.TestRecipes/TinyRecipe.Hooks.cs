using System.Collections.Generic;
using MiDistill.Runtime.Training;

namespace MiDistill.Recipes;

// A user's own half of the generated partial class: the hook the generator declares.
public sealed partial class TinyRecipe
{
    public List<EpochReport> Epochs { get; } = new();

    partial void OnEpochCompleted(EpochReport report) => Epochs.Add(report);
}
