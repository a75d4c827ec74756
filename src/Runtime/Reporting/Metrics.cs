using System;

namespace MiDistill.Runtime.Reporting;

public static class Metrics
{
    /// <summary>Fraction of predictions equal to their label; NaN for no samples.</summary>
    public static double Accuracy(int[] predictions, int[] labels)
    {
        CheckLengths(predictions, labels);
        if (labels.Length == 0)
            return double.NaN;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
            if (predictions[i] == labels[i])
                correct++;
        return (double)correct / labels.Length;
    }

    /// <summary>
    /// Mean per-class recall over the classes present in <paramref name="labels"/>. On long-tail test
    /// sets plain accuracy is dominated by the head classes; this weighs every class alike.
    /// </summary>
    public static double BalancedAccuracy(int[] predictions, int[] labels, int numClasses)
    {
        CheckLengths(predictions, labels);
        var total = new int[numClasses];
        var correct = new int[numClasses];
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)numClasses)
                throw new ArgumentException($"label {label} at position {i} is outside 0..{numClasses - 1}", nameof(labels));
            total[label]++;
            if (predictions[i] == label)
                correct[label]++;
        }
        double sum = 0;
        int present = 0;
        for (int c = 0; c < numClasses; c++)
        {
            if (total[c] == 0)
                continue;
            sum += (double)correct[c] / total[c];
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    private static void CheckLengths(int[] predictions, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (predictions.Length != labels.Length)
            throw new ArgumentException($"{predictions.Length} predictions for {labels.Length} labels");
    }
}
