using System;
using System.Collections.Generic;
using System.Linq;
using MiDistill.Runtime.Data;
using MiDistill.Runtime.Options;
using MiDistill.Runtime.Reporting;
using static TorchSharp.torch;

namespace MiDistill.Runtime.Training;

/// <summary>Predictions and metrics of a model on a split, in eval mode without gradients.</summary>
public static class Evaluator
{
    private const int BatchSize = 256;

    /// <param name="workers">Background threads decoding the batches ahead; null = the cores the training threads leave.</param>
    public static int[] Predict(nn.Module<Tensor, Tensor> model, ImageSet set, Device device, InputAdapter adapter, int? workers = null)
    {
        var predictions = new int[set.Count];
        var plan = new int[(set.Count + BatchSize - 1) / BatchSize][];
        for (int b = 0; b < plan.Length; b++)
            plan[b] = Enumerable.Range(b * BatchSize, Math.Min(BatchSize, set.Count - b * BatchSize)).ToArray();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var stream = new BatchStream(set, plan, workers ?? BatchStream.AutoWorkers(get_num_threads()));
            // The batches' predictions stay on the device and are read once at the end: no
            // host-device synchronisation per batch (issue 25).
            using var kept = NewDisposeScope();
            var predicted = new List<Tensor>(plan.Length);
            while (stream.Next() is { } batch)
            {
                using var scope = NewDisposeScope();
                Tensor images;
                using (batch) images = batch.ImagesOn(device);
                predicted.Add(model.call(adapter.Apply(images)).argmax(1).MoveToOuterDisposeScope());
            }
            if (predicted.Count > 0)
            {
                var all = cat(predicted, 0).to(CPU).data<long>().ToArray();
                for (int i = 0; i < all.Length; i++) predictions[i] = (int)all[i];
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return predictions;
    }

    /// <param name="workers">Background threads decoding the batches ahead (a run passes its <see cref="Plan.RunResources.Workers"/>); null = the cores the training threads leave.</param>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, ImageSet set, Device device, InputAdapter adapter, int? workers = null) =>
        set.Count == 0 ? double.NaN : Metrics.Accuracy(Predict(model, set, device, adapter, workers), set.Labels);

    /// <summary>One metric of a model on a set (NaN for an empty set).</summary>
    public static double Score(nn.Module<Tensor, Tensor> model, ImageSet set, Device device, InputAdapter adapter, Metric metric, int? workers = null) =>
        set.Count == 0 ? double.NaN : Evaluate(model, set, device, adapter, new[] { metric }, workers)[ColumnSuffix(metric)];

    /// <summary>
    /// The metric the honest protocol selects epochs by: the first the recipe lists in
    /// <c>evaluate.metrics</c> (list <c>balanced_accuracy</c> first for a long-tail regime).
    /// </summary>
    public static Metric SelectionMetric(EvaluateOptions evaluate) =>
        evaluate.Metrics.Count > 0 ? evaluate.Metrics[0] : Metric.Accuracy;

    /// <summary>The recipe's metrics, keyed by their column suffix ("acc", "bal acc").</summary>
    public static Dictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> model, ImageSet set, Device device, InputAdapter adapter, IReadOnlyList<Metric> metrics, int? workers = null)
    {
        var predictions = Predict(model, set, device, adapter, workers);
        var values = new Dictionary<string, double>();
        foreach (var metric in metrics)
            values[ColumnSuffix(metric)] = metric switch
            {
                Metric.Accuracy => Metrics.Accuracy(predictions, set.Labels),
                Metric.BalancedAccuracy => Metrics.BalancedAccuracy(predictions, set.Labels, set.NumClasses),
                _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
            };
        return values;
    }

    public static string ColumnSuffix(Metric metric) => metric switch
    {
        Metric.Accuracy => "acc",
        Metric.BalancedAccuracy => "bal acc",
        _ => metric.ToString(),
    };
}
