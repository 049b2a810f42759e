// frontends/cpp/api_train.cpp - the training half of the public C++ API:
// optimizers (the trainer's update code, train/optimizer.h), checkpoints
// (the trainer's .tfck files and restore path) and the data transforms.
#include <algorithm>

#include "core/dnnl_context.h"
#include "frontends/cpp/api_internal.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "tapeflow/tapeflow.h"
#include "train/checkpoint.h"
#include "train/data/batcher.h"
#include "train/data/idx_reader.h"
#include "train/run_checkpoint.h"

namespace tapeflow {
namespace optim {

Optimizer::Optimizer(Model& model, const std::string& kind, double lr, double momentum,
                     bool nesterov, double beta1, double beta2, double eps,
                     double weightDecay)
    : impl_(std::make_unique<Impl>()), model_(&model), lr_(lr) {
  SolverConfig c;
  c.optimizer = kind;
  c.lr = float(lr);
  c.momentum = float(momentum);
  c.nesterov = nesterov;
  c.beta1 = float(beta1);
  c.beta2 = float(beta2);
  c.epsilon = float(eps);
  c.weightDecay = float(weightDecay);
  if (!(lr > 0) || momentum < 0 || weightDecay < 0 || (nesterov && !(momentum > 0)))
    throw UsageError({}, "", "",
                     kind + ": needs lr > 0, momentum >= 0, weight decay >= 0 and "
                            "momentum > 0 with nesterov");
  impl_->update = ::tapeflow::Optimizer::create(c, *ModelAccess::impl(model).store);
}

Optimizer::~Optimizer() = default;
void Optimizer::step() { impl_->update->step(float(lr_)); }
void Optimizer::zeroGrad() { model_->zeroGrad(); }
int64_t Optimizer::steps() const { return impl_->update->steps(); }

SGD::SGD(Model& m, SGDOptions o)
    : Optimizer(m, "sgd", o.lr, o.momentum, o.nesterov, 0.9, 0.999, 1e-8, o.weightDecay) {}
Adam::Adam(Model& m, AdamOptions o)
    : Optimizer(m, "adam", o.lr, 0, false, o.beta1, o.beta2, o.eps, o.weightDecay) {}
AdamW::AdamW(Model& m, AdamOptions o)
    : Optimizer(m, "adamw", o.lr, 0, false, o.beta1, o.beta2, o.eps, o.weightDecay) {}

}  // namespace optim

void save(const Model& model, const std::string& path, const optim::Optimizer* optimizer) {
  auto& m = ModelAccess::impl(model);
  CheckpointData ck;
  if (optimizer) {
    auto& update = ModelAccess::update(*optimizer);
    RunPosition at;
    at.step = update.steps();
    ck = snapshotCheckpoint(*m.program, *m.store, update, at);
  } else {
    ck.modelName = m.program->graph().name;
    ck.modelFingerprint = modelFingerprint(*m.program);
    ck.threads = numThreads();
    for (int k = 0; k < m.store->numParams(); ++k) {
      const float* d = m.store->data(k);
      ck.params.push_back({m.store->def(k).name, m.store->def(k).dims,
                           std::vector<float>(d, d + m.store->size(k))});
    }
  }
  ck.graphText = graphStructureText(m.program->declaredGraph());
  writeCheckpoint(path, ck);
}

void load(Model& model, const std::string& path, optim::Optimizer* optimizer) {
  auto& m = ModelAccess::impl(model);
  CheckpointData ck = readCheckpoint(path);
  // A checkpoint without optimizer state (save() without one) restores the
  // parameters only.
  ::tapeflow::Optimizer* update = optimizer && !ck.optimizerState.empty()
                                      ? &ModelAccess::update(*optimizer)
                                      : nullptr;
  restoreCheckpoint(ck, path, *m.program, *m.store, update);
}

namespace data {

Tensor pad(const Tensor& images, int64_t size) {
  const Dims& d = images.dims();
  if (d.size() != 4 || images.dtype() != DType::F32)
    throw UsageError({}, "", "",
                     "pad: needs f32 images [N,C,H,W], found " + dimsStr(d));
  const int64_t rows = std::max(size, d[2]), cols = std::max(size, d[3]);
  if (rows == d[2] && cols == d[3]) return images;
  Tensor out = Tensor::zeros({d[0], d[1], rows, cols});
  const int64_t top = (rows - d[2]) / 2, left = (cols - d[3]) / 2;
  for (int64_t i = 0; i < d[0] * d[1]; ++i)
    for (int64_t y = 0; y < d[2]; ++y)
      std::copy_n(images.data().data() + (i * d[2] + y) * d[3], d[3],
                  out.data().data() + (i * rows + top + y) * cols + left);
  return out;
}

Tensor normalize(Tensor images, const Transform& t) {
  if (t.normalize != "unit" && t.normalize != "standard")
    throw UsageError({}, "", "",
                     "normalize: expected \"unit\" or \"standard\", found \"" +
                         t.normalize + "\"");
  TransformConfig c;
  c.normalize = t.normalize;
  c.mean = t.mean;
  c.stddev = t.stddev;
  normalizeIntensities(images.data().data(), int64_t(images.data().size()), c);
  return images;
}

Tensor apply(const Tensor& images, const Transform& t) {
  return normalize(t.padTo > 0 ? pad(images, t.padTo) : images, t);
}

Examples loadMnist(const std::string& dir, const std::string& split) {
  ::tapeflow::data::Dataset ds = loadMnistDir(dir, split);
  const auto& im = ds.images;
  Examples e;
  e.images = Tensor({im.count, 1, im.rows, im.cols},
                    std::vector<float>(im.pixels.begin(), im.pixels.end()));
  e.labels = Tensor::ofInts({ds.labels.count}, std::vector<int32_t>(ds.labels.labels.begin(),
                                                                   ds.labels.labels.end()));
  return e;
}

}  // namespace data
}  // namespace tapeflow
