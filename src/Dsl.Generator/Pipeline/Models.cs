using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Model;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Syntax;

namespace MiDistill.Dsl.Generator.Pipeline;

// Pipeline models: records of strings, numbers and equatable arrays only, so caching works.

/// <summary>An additional file as plain data; no AdditionalText goes further than the first step.
/// <see cref="ReadError"/> says why the text could not be read (then Text is empty).</summary>
internal sealed record RecipeFile(string Path, string Text, string? ReadError);

/// <summary>A compiled file plus its text (the text only feeds the recipe-source output).</summary>
internal sealed record FileCompilation(CompiledFile Result, string Text);

/// <summary>The exact recipe text, embedded so a run folder can keep a copy of what was compiled.</summary>
internal sealed record RecipeSourceModel(string FileName, EquatableArray<string> RecipeNames, string Text);

/// <summary>Where a recipe's name is declared, to find duplicate names across files.</summary>
internal sealed record RecipeHeader(string Name, string Path, SourceSpan Span);
