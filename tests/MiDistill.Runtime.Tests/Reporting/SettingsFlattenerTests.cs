using MiDistill.Runtime.Reporting.Report;

namespace MiDistill.Runtime.Tests.Reporting;

public sealed class SettingsFlattenerTests
{
    [Fact]
    public void Nested_settings_become_dotted_paths_and_lists_of_numbers_stay_one_value()
    {
        var flat = SettingsFlattener.Flatten("""{"finetune":{"objective":{"kind":"SamObjective","rho":0.05},"epochs":2},"data":{"classes":[5,6]},"steps":[{"a":1}]}""");
        Assert.Equal("\"SamObjective\"", flat["finetune.objective.kind"]);
        Assert.Equal("0.05", flat["finetune.objective.rho"]);
        Assert.Equal("[5, 6]", flat["data.classes"]);
        Assert.Equal("1", flat["steps[0].a"]);
    }

    [Fact]
    public void Differing_lists_the_paths_whose_values_differ_or_are_missing_somewhere()
    {
        var a = SettingsFlattener.Flatten("""{"x":1,"y":{"kind":"A"},"z":3}""");
        var b = SettingsFlattener.Flatten("""{"x":1,"y":{"kind":"B","extra":2},"z":3}""");
        Assert.Equal(new[] { "y.kind", "y.extra" }, SettingsFlattener.Differing(new[] { a, b }));
    }
}
