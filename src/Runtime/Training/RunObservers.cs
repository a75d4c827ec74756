using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training;

/// <summary>The observers of every run, in the order their output appears.</summary>
internal static class RunObservers
{
    /// <param name="evaluate">The first variant's evaluation settings: they name the reference of the paired statistics.</param>
    public static IReadOnlyList<IRunObserver> Standard(string recipe, Options.EvaluateOptions evaluate) => new IRunObserver[]
    {
        new TestResultLines(),
        new ResultsTable(recipe, evaluate),
        new AnalysisSummary(),
        new HtmlReport(),
    };

    /// <summary>A unit's test metrics: one "evaluate" line to the training observers (metrics.jsonl, TensorBoard) and one on the console.</summary>
    private sealed class TestResultLines : IRunObserver
    {
        public void ResultComputed(UnitContext unit, VariantResult result)
        {
            var run = unit.Run;
            // Lines after the last commit belong to work that did not finish; the result follows the last commit.
            run.RewindMetrics();
            var values = Experiment.Prefixed(result);
            var record = run.Stamp("evaluate", unit.Options.Variant, unit.Options.Run.Seed, 0, values) with { Replicate = unit.Unit.Replicate };
            run.Notify(o => o.Recorded(record));
            run.Output.WriteLine($"[{unit.Name}] test: " + string.Join(", ", values.Select(kv => $"{kv.Key} {Percent(kv.Value)}")));
        }

        private static string Percent(double value) => (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>results.md / results.csv with paired statistics, printed when the run ends.</summary>
    private sealed class ResultsTable(string recipe, Options.EvaluateOptions evaluate) : IRunObserver
    {
        public void RunFinished(RunContext run, IReadOnlyList<VariantResult> results)
        {
            var summary = ResultReport.Write(run.Folder.Path, recipe, evaluate, results, run.State.WithoutValidation);
            run.Output.WriteLine();
            run.Output.Write(summary);
            run.Output.WriteLine($"Saved to {run.Folder.Path}");
        }
    }

    /// <summary>The MI analyses' plots, summary file and console lines, once every unit was measured.</summary>
    private sealed class AnalysisSummary : IRunObserver
    {
        public void RunFinished(RunContext run, IReadOnlyList<VariantResult> results)
        {
            run.Analysis.AddStudents(results);
            run.Analysis.Finish();
        }
    }

    /// <summary>report.html, written from the run folder's files.</summary>
    private sealed class HtmlReport : IRunObserver
    {
        public void RunFinished(RunContext run, IReadOnlyList<VariantResult> results) =>
            Reporting.Report.RunReport.Write(run.Folder.Path, run.Output);
    }
}
