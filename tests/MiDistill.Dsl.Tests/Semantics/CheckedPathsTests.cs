using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using MiDistill.Dsl.Semantics;
using MiDistill.Dsl.Semantics.Schema;
using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Semantics;

/// <summary>
/// Every setting, form and argument the cross-setting checks read resolves in the schema the
/// generator builds from the runtime's records: renaming one without its path fails here, where a
/// string key would have turned its check off without a word.
/// </summary>
public class CheckedPathsTests
{
    private static IEnumerable<(string Field, object Path)> All() =>
        typeof(Paths).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(SettingPath) || f.FieldType == typeof(FormPath) || f.FieldType == typeof(ArgPath))
            .Select(f => (f.Name, f.GetValue(null)!));

    private static Argument? Setting(SettingPath path) => BuiltInSchema.Value.FindSection(path.Section)?.Find(path.Setting);

    private static Form? FormOf(FormPath path)
    {
        var choice = Setting(path.Setting)?.Type switch
        {
            ChoiceType c => c,
            FormListType list => list.Item,
            _ => null,
        };
        return choice?.Forms.FirstOrDefault(f => f.Name == path.Form);
    }

    private static bool Resolves(object path) => path switch
    {
        SettingPath s => Setting(s) is not null,
        FormPath f => FormOf(f) is not null,
        ArgPath a => FormOf(a.Form)?.Arguments.Any(x => x.Name == a.Argument) == true,
        _ => false,
    };

    [Fact]
    public void Every_path_the_checks_read_resolves_in_the_schema()
    {
        var all = All().ToList();
        Assert.True(all.Count > 60, $"only {all.Count} paths found; the reflection no longer sees Paths' fields");
        Assert.Empty(all.Where(p => !Resolves(p.Path)).Select(p => $"{p.Field} = {p.Path}"));
    }

    [Fact]
    public void A_path_that_does_not_exist_is_caught()
    {
        Assert.False(Resolves(new SettingPath("finetune", "reweigh")));
        Assert.False(Resolves(new FormPath(Paths.FinetuneObjective, "samm")));
        Assert.False(Resolves(new ArgPath(Paths.Sam, "roh")));
    }

    [Fact]
    public void The_analysis_switches_are_paths_of_the_analyze_section() =>
        Assert.All(Paths.AnalysisSwitches, s => Assert.True(Resolves(s), s.ToString()));
}
