using System.Text;

namespace MiDistill.Dsl.Generator.Emit;

/// <summary>A small indented writer; emitted files always use \n, whatever the host OS.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="line"/> (if any) and an opening brace, then indents.</summary>
    public CodeWriter Open(string line = "")
    {
        if (line.Length > 0) Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string line = "}")
    {
        _indent--;
        return Line(line);
    }

    public override string ToString() => _text.ToString();
}
