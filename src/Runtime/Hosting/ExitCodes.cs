namespace MiDistill.Runtime.Hosting;

/// <summary>
/// What the experiment executable's exit status means, for every command (README, "Commands, help
/// and exit codes"; every command's <c>--help</c> ends with this table).
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>
    /// An expected failure, reported as one <c>error:</c> line: missing data, a damaged or missing file, a
    /// run folder in use, no CUDA, a sweep unit that failed, units still missing at <c>collect</c>.
    /// </summary>
    public const int Failed = 1;

    /// <summary>
    /// The command line is wrong: an unknown command or option (with a did-you-mean), a bad value, a
    /// missing argument, options that contradict each other. Nothing was run.
    /// </summary>
    public const int Usage = 2;

    /// <summary>The "Exit codes" section of every command's help.</summary>
    internal static readonly (int Code, string Meaning)[] Table =
    {
        (Ok, "success"),
        (Failed, "an expected failure (missing data, a damaged or missing file, a failed sweep unit, units still missing); one `error:` line says which"),
        (Usage, "a usage error (unknown command or option, a bad value, a missing argument); nothing was run"),
    };
}
