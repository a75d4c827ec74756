using System;
using System.IO;
using MiDistill.Runtime.Training.Plan;
using TorchSharp;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// How a training stage keeps its model in the run folder: a weights file, written before the run
/// state records the stage as finished ("variant/seedN/stage"), and a resumable checkpoint that is
/// removed once the state is committed.
/// </summary>
internal static class KeptModels
{
    public static bool IsDone(UnitContext unit, string key, string weights) =>
        unit.Run.State.Finished.Contains(key) && File.Exists(weights);

    public static void Save(UnitContext unit, torch.nn.Module model, string key, string weights)
    {
        Checkpoints.ModelFile.Save(model, weights);
        unit.Run.State.Finished.Add(key);
    }

    /// <summary>
    /// A stage inside a step (the paper protocol's student per kept epoch): trained, saved and
    /// committed once, loaded when done; the caller owns the model.
    /// </summary>
    public static TModel RunOrLoad<TModel>(UnitContext unit, string key, string weights, string checkpoint, Func<TModel> train, Func<TModel> load)
        where TModel : torch.nn.Module
    {
        if (IsDone(unit, key, weights)) return load();
        var model = train();
        try
        {
            Save(unit, model, key, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        unit.Run.Commit();
        // Committed: the stage's resumable checkpoint is of no further use.
        File.Delete(checkpoint);
        return model;
    }
}
