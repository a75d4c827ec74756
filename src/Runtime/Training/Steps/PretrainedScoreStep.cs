using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Training.Plan;

namespace MiDistill.Runtime.Training.Steps;

/// <summary>
/// Pretrained on exactly the downstream classes, the teacher can be scored before any fine-tuning:
/// what fine-tuning on the few labelled images adds (or costs). Units that share the pretrained
/// teacher and the test images share one score.
/// </summary>
internal sealed class PretrainedScoreStep : RunStep
{
    private readonly Dictionary<(string, int, int, string), IReadOnlyDictionary<string, double>> _scores = new();

    public override string Name => "score-pretrained";
    public override string Doc => "the pretrained teacher's test metrics, when it was pretrained on exactly the downstream classes";
    public override bool AppliesTo(PlanUnit unit) => unit.UsesTeacher && unit.Options.Teacher.Weights is not CheckpointWeights;
    public override IEnumerable<Artefact> Needs(PlanUnit unit) => new Artefact[] { StepArtefacts.Data, StepArtefacts.PretrainedTeacher };
    public override Artefact? Produces => StepArtefacts.PretrainedScores;

    public override void Run(UnitContext unit)
    {
        var options = unit.Options;
        var data = unit.Get(StepArtefacts.Data);
        var pretrained = unit.Get(StepArtefacts.PretrainedTeacher);
        IReadOnlyDictionary<string, double>? scores = null;
        if (data.UpstreamClasses.SequenceEqual(data.DownstreamClasses))
        {
            var key = (pretrained, options.Data.Seed, options.Data.MaxTestImages, string.Join(",", options.Evaluate.Metrics));
            if (!_scores.TryGetValue(key, out scores))
            {
                var run = unit.Run;
                using var before = Stages.LoadPretrained(options, data, pretrained, run.Device);
                _scores[key] = scores = Evaluator.Evaluate(before, data.Test, run.Device, InputAdapter.ForTeacher(options.Teacher, data.Train.Statistics), options.Evaluate.Metrics, run.Workers);
            }
        }
        unit.Set(StepArtefacts.PretrainedScores, scores);
    }
}
