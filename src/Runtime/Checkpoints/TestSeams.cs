using System;

namespace MiDistill.Runtime.Checkpoints;

/// <summary>
/// Test-only: the moment between a file's temporary write and its rename, where the kill tests stop
/// a child process (tests/MiDistill.TestRecipes/KillPoints.cs sets it in the test recipes' executable
/// from MIDISTILL_TEST_KILL_BEFORE_RENAME). Nothing sets it in a real run, where it is one null check
/// per write. Every writer that promises "the old file or the new one, never half of one" calls it:
/// stage checkpoints, model files and the run state.
/// </summary>
internal static class TestSeams
{
    /// <summary>Called with the final path once the temporary file is written and flushed, just before it is renamed over it.</summary>
    internal static Action<string>? BeforeRename;
}
