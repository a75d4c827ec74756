using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Xunit.Sdk;

namespace MiDistill.Dsl.Tests.Infrastructure;

/// <summary>
/// Approved-file snapshots with Verify's conventions, so a later move to Verify is mechanical:
/// <c>{TestFile}.{TestName}.verified.{ext}</c> is committed next to the test; on a mismatch the
/// actual text goes to <c>.received.{ext}</c> and the test fails with a diff hint. Setting
/// <c>MIDISTILL_ACCEPT=1</c> (or Verify's <c>VERIFY_AUTOVERIFY=1</c>) rewrites the approved file instead.
/// </summary>
public static class Approvals
{
    // Never on CI: there an accepted snapshot would compare the generator with its own output.
    public static bool Accepting =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) && (
        Environment.GetEnvironmentVariable("MIDISTILL_ACCEPT") == "1" ||
        string.Equals(Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY"), "true", StringComparison.OrdinalIgnoreCase) ||
        Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") == "1");

    public static void Verify(string actual, string extension = "cs", string? suffix = null,
        [CallerFilePath] string sourceFile = "", [CallerMemberName] string testName = "")
    {
        var folder = Path.GetDirectoryName(sourceFile)!;
        var stem = Path.GetFileNameWithoutExtension(sourceFile) + "." + testName + (suffix is null ? "" : "_" + suffix);
        var verified = Path.Combine(folder, stem + ".verified." + extension);
        var received = Path.Combine(folder, stem + ".received." + extension);
        actual = actual.Replace("\r\n", "\n");

        if (File.Exists(verified) && File.ReadAllText(verified).Replace("\r\n", "\n") == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (Accepting)
        {
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        throw new XunitException(
            (File.Exists(verified) ? $"{Path.GetFileName(received)} differs from {Path.GetFileName(verified)}" : $"no approved file {Path.GetFileName(verified)} yet") +
            FirstDifference(File.Exists(verified) ? File.ReadAllText(verified) : "", actual) +
            $"\nCompare: diff -u '{verified}' '{received}'\nAccept: rerun with MIDISTILL_ACCEPT=1, or mv the received file over the verified one.");
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Replace("\r\n", "\n").Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end of file>";
            var al = i < a.Length ? a[i] : "<end of file>";
            if (el != al) return $"\nfirst difference at line {i + 1}:\n  verified: {el}\n  received: {al}";
        }
        return "";
    }
}
