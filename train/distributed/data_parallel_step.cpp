// train/distributed/data_parallel_step.cpp - micro-batches, the gradient
// allreduce and the shared update.
#include "train/distributed/data_parallel_step.h"

#include <cmath>

#include "train/distributed/fault_injection.h"
#include "train/evaluation.h"

namespace tapeflow {
namespace {

// The extra floats after the gradients: per rank its loss and its failure
// flag, then the sum of correct predictions and of stop requests, then the
// sum over ranks of each logged output.
size_t extraFloats(int ranks, size_t logged) { return 2 * size_t(ranks) + 2 + logged; }

}  // namespace

Batch sliceBatch(const Batch& b, int64_t offset, int64_t count) {
  Batch out;
  out.epoch = b.epoch;
  out.index = b.index;
  out.size = count;
  out.fields.reserve(b.fields.size());
  for (const BatchTensor& t : b.fields) {
    BatchTensor s;
    s.name = t.name;
    s.dtype = t.dtype;
    s.dims = t.dims;
    const size_t per = size_t(numel(t.dims));
    const size_t from = size_t(offset) * per, n = size_t(count) * per;
    if (t.dtype == DType::F32)
      s.f32.assign(t.f32.begin() + long(from), t.f32.begin() + long(from + n));
    else
      s.i32.assign(t.i32.begin() + long(from), t.i32.begin() + long(from + n));
    out.fields.push_back(std::move(s));
  }
  return out;
}

std::pair<int64_t, int64_t> rankSlice(int64_t global, int rank, int ranks, int accumulate) {
  const int64_t parts = int64_t(ranks) * int64_t(accumulate);
  if (global % parts != 0) {
    std::string what = accumulate > 1 ? std::to_string(ranks) + " ranks x " +
                                            std::to_string(accumulate) +
                                            " accumulated micro-batches (" +
                                            std::to_string(parts) + ")"
                                      : std::to_string(ranks) + " ranks";
    throw UsageError({}, "", "", "batch size " + std::to_string(global) +
                                     " does not split evenly over " + what +
                                     "; choose a batch size that is a multiple of " +
                                     std::to_string(parts));
  }
  const int64_t count = global / ranks;
  return {count * rank, count};
}

DataParallelStep::DataParallelStep(Communicator& comm, TrainStep& step, ParamStore& store,
                                   int accumulate, std::string prediction,
                                   std::string labelField, int64_t classes,
                                   std::vector<std::string> logged, size_t bucketFloats)
    : comm_(comm),
      step_(step),
      accumulate_(accumulate),
      prediction_(std::move(prediction)),
      labelField_(std::move(labelField)),
      classes_(classes),
      logged_(std::move(logged)),
      buffer_(store, extraFloats(comm.size(), logged_.size())) {
  if (comm.size() > 1 && accumulate == 1 && bucketFloats > 0)
    overlap_.emplace(comm, buffer_, store, bucketFloats);
}

DataParallelStep::Result DataParallelStep::run(PlanCache& plans, const Batch& local,
                                               int64_t step, bool stopLocal,
                                               StepObserver* observer) {
  const int ranks = comm_.size(), me = comm_.rank();
  float* extra = buffer_.extra();
  std::fill(extra, extra + extraFloats(ranks, logged_.size()), 0.f);
  std::exception_ptr failure;
  double loss = 0;
  int64_t correct = 0;
  std::vector<double> outputs(logged_.size(), 0.0);
  if (overlap_) overlap_->begin();
  try {
    injectFault(me, step);
    const int64_t micro = local.size / accumulate_;
    for (int k = 0; k < accumulate_; ++k) {
      Batch part = accumulate_ == 1 ? Batch() : sliceBatch(local, k * micro, micro);
      const Batch& b = accumulate_ == 1 ? local : part;
      Plan& plan = plans.get(b.size);
      if (overlap_) overlap_->attach(plan);
      loss += double(step_.computeGradients(plan, b, step, observer));
      if (!labelField_.empty())
        correct += countCorrect(plan.readValue(prediction_), b.find(labelField_)->i32.data(),
                                b.size, classes_, nullptr);
      for (size_t i = 0; i < logged_.size(); ++i)
        outputs[i] += double(plan.readScalar(logged_[i]));
      if (!overlap_) buffer_.accumulate(k == 0);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  extra = buffer_.extra();
  extra[2 * me] = float(loss / accumulate_);
  extra[2 * me + 1] = failure ? 1.f : 0.f;
  extra[2 * ranks] = float(correct);
  extra[2 * ranks + 1] = stopLocal ? 1.f : 0.f;
  for (size_t i = 0; i < logged_.size(); ++i)
    extra[2 * ranks + 2 + i] = float(outputs[i] / accumulate_);
  {
    PhaseScope phase(observer, StepPhase::Allreduce);
    if (overlap_)
      overlap_->finish();
    else
      comm_.allreduceSum(buffer_.data(), buffer_.size());
  }
  extra = buffer_.extra();
  bool anyFailed = false;
  Result r;
  double lossSum = 0;
  for (int q = 0; q < ranks; ++q) {
    anyFailed |= extra[2 * q + 1] != 0.f;
    lossSum += double(extra[2 * q]);
  }
  if (anyFailed) agreeOnFailure(comm_, failure);
  r.loss = float(lossSum / ranks);
  r.correct = labelField_.empty() ? -1 : int64_t(std::lround(extra[2 * ranks]));
  r.stop = extra[2 * ranks + 1] != 0.f;
  // Equal slices: the global mean is the mean of the ranks' means.
  for (size_t i = 0; i < logged_.size(); ++i)
    r.outputs.push_back(double(extra[2 * ranks + 2 + i]) / ranks);
  buffer_.unpack(1.f / float(ranks * accumulate_));
  r.lr = step_.applyUpdate(step, observer);
  return r;
}

}  // namespace tapeflow
