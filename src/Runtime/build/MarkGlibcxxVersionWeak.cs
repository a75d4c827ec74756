// MSBuild inline task (RoslynCodeTaskFactory). Marks one ELF64 symbol-version requirement weak.
// Kept in C# so the build needs no other language; see TorchSharpNative.targets for the why.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class MarkGlibcxxVersionWeak : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var outcome = Patch(path, Version);
                Log.LogMessage(MessageImportance.Low, "MiDistill: {0}: {1}", path, outcome);
            }
            catch (Exception e)
            {
                Log.LogError("MiDistill: cannot patch '{0}' to mark {1} weak: {2}", path, Version, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static string Patch(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("only little-endian ELF64 is supported");

        ulong shoff = BitConverter.ToUInt64(bytes, 0x28);
        int shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        int shnum = BitConverter.ToUInt16(bytes, 0x3C);

        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)shoff + s * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != ShtGnuVerneed) continue;

            int verneedOffset = checked((int)BitConverter.ToUInt64(bytes, sh + 0x18));
            int stringSection = (int)BitConverter.ToUInt32(bytes, sh + 0x28);
            int needCount = (int)BitConverter.ToUInt32(bytes, sh + 0x2C);
            int strSh = checked((int)shoff + stringSection * shentsize);
            int strOffset = checked((int)BitConverter.ToUInt64(bytes, strSh + 0x18));

            int need = verneedOffset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(bytes, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(bytes, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strOffset + (int)BitConverter.ToUInt32(bytes, aux + 8);
                    if (ReadCString(bytes, name) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(bytes, aux + 4);
                        if ((flags & VerFlagWeak) != 0) return "already weak";
                        flags |= VerFlagWeak;
                        bytes[aux + 4] = (byte)(flags & 0xff);
                        bytes[aux + 5] = (byte)(flags >> 8);
                        var temp = path + ".patching";
                        File.WriteAllBytes(temp, bytes);
                        File.Copy(temp, path, overwrite: true);
                        File.Delete(temp);
                        return "marked " + version + " weak";
                    }
                    aux += (int)BitConverter.ToUInt32(bytes, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(bytes, need + 12);
            }
        }
        return "no " + version + " requirement (nothing to do)";
    }

    private static string ReadCString(byte[] bytes, int start)
    {
        int end = start;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}
