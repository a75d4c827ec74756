using System;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// A checkpoint file that cannot be used: unreadable, corrupt, of another architecture, or holding
/// a tensor of the wrong shape or dtype. The message names the file and, where one is at fault,
/// the key. Thrown before any parameter of the model is changed.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string path, string problem, Exception? inner = null)
        : base($"checkpoint '{path}': {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    public string Problem { get; }
}
