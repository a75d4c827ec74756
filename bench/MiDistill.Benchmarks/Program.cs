using System;
using System.Linq;
using MiDistill.Benchmarks;

// Printed benchmarks, run by hand (not timed tests: these machines are shared and noisy, so every
// figure that compares two things is measured as a ratio within one run).
//   midistill-bench throughput [...]   forward+backward images/s, TorchSharp vs PyTorch (issue 3)
//   midistill-bench training [...]     SAM step cost, data wait, memory over a long run (issue 4)
//   midistill-bench information [...]  Renyi estimator and MI per block timings (issue 5)
//   midistill-bench loader [...]       streaming input pipeline: decode throughput vs PyTorch, data wait, memory (issue 12)
//   midistill-bench threads [...]      step time of the thread defaults idle, with a core busy, and with load arriving mid-run (issue 12)
//   midistill-bench conv [...]         conv2d forward+backward at ResNet-18's shapes, NCHW and channels-last, TorchSharp vs PyTorch (issue 25)
//   midistill-bench deploy [...]       students in ONNX Runtime vs TorchSharp eval: latency, throughput, file size (issue 22)
//   midistill-bench teacher-cache [...] distillation epoch time, live teacher against the teacher-output cache (issue 23)
var mode = args.FirstOrDefault();
var rest = args.Skip(1).ToArray();
return mode switch
{
    "throughput" => Throughput.Run(rest),
    "training" => Training.Run(rest),
    "information" => Information.Run(rest),
    "loader" => Loader.Run(rest),
    "threads" => Threads.Run(rest),
    "deploy" => Deploy.Run(rest),
    "teacher-cache" => TeacherCacheBench.Run(rest),
    "conv" => Conv.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: midistill-bench throughput|training|information|loader|threads|deploy|teacher-cache|conv [options]  (see docs/performance.md)");
    return 2;
}
