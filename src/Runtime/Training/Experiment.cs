using System;

namespace MiDistill.Runtime.Training;

public static class Experiment
{
    public static ExperimentReport Run(IRecipe recipe, RunRequest request, ExperimentHooks hooks) => throw new NotImplementedException();
}
