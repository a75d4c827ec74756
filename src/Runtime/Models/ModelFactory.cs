using System;
using MiDistill.Runtime.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Models;

public static class ModelFactory
{
    /// <summary>Builds the student a recipe names; every student also implements <see cref="IFeatureModel"/>.</summary>
    public static nn.Module<Tensor, Tensor> CreateStudent(StudentOptions o, int inChannels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(o);
        return o switch {
            SmallCnnOptions cnn => new SmallCnn(cnn, inChannels, numClasses),
            _ => throw new NotSupportedException(
                $"Student type '{o.GetType().Name}' is not supported; known students: {nameof(SmallCnnOptions)}."),
        };
    }
}
