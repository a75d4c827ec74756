using System;
using MiDistill.Runtime.Reporting;

namespace MiDistill.Runtime.Tests.Reporting;

public sealed class MetricsTests
{
    private static readonly int[] Labels = { 0, 0, 0, 1, 1, 2 };
    private static readonly int[] Predictions = { 0, 0, 1, 1, 0, 2 };

    [Fact]
    public void Accuracy_is_the_fraction_correct()
    {
        Assert.Equal(4.0 / 6.0, Metrics.Accuracy(Predictions, Labels), 12);
        Assert.True(double.IsNaN(Metrics.Accuracy(Array.Empty<int>(), Array.Empty<int>())));
    }

    [Fact]
    public void Balanced_accuracy_is_the_mean_recall_of_present_classes()
    {
        // Recalls: class 0 2/3, class 1 1/2, class 2 1/1; class 3 has no labels and is skipped.
        Assert.Equal((2.0 / 3.0 + 0.5 + 1.0) / 3.0, Metrics.BalancedAccuracy(Predictions, Labels, numClasses: 4), 12);
    }

    [Fact]
    public void Balanced_accuracy_differs_from_accuracy_on_imbalanced_labels()
    {
        // Predicting the head class everywhere: 90% accuracy but 50% balanced accuracy.
        var labels = new int[10];
        labels[9] = 1;
        var predictions = new int[10];
        Assert.Equal(0.9, Metrics.Accuracy(predictions, labels), 12);
        Assert.Equal(0.5, Metrics.BalancedAccuracy(predictions, labels, 2), 12);
    }

    [Fact]
    public void Mismatched_lengths_and_bad_labels_throw()
    {
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy(new[] { 1 }, new[] { 1, 2 }));
        Assert.Throws<ArgumentException>(() => Metrics.BalancedAccuracy(new[] { 0 }, new[] { 5 }, 3));
    }
}
