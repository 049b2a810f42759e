// train/run_checkpoint.cpp - fingerprint, snapshot and restore of a run.
#include "train/run_checkpoint.h"

#include <algorithm>
#include <cstring>

#include "core/dnnl_context.h"

namespace tapeflow {
namespace {

std::vector<std::pair<std::string, Dims>> paramShapes(const Program& p) {
  std::vector<std::pair<std::string, Dims>> out;
  for (const ParamDef& d : p.graph().params) out.emplace_back(d.name, d.dims);
  return out;
}

CheckpointTensor tensorOf(const std::string& name, const Dims& dims, const float* data) {
  CheckpointTensor t;
  t.name = name;
  t.dims = dims;
  t.data.assign(data, data + numel(dims));
  return t;
}

}  // namespace

uint64_t modelFingerprint(const Program& p) {
  std::string s = p.graph().name + "\n";
  for (const ParamDef& d : p.graph().params) s += "param " + d.name + dimsStr(d.dims) + "\n";
  for (const InputDef& d : p.graph().inputs) s += "input " + d.name + dimsStr(d.dims) + "\n";
  for (const Node& n : p.graph().nodes) {
    s += "node " + n.name + " " + n.op;
    for (const auto& i : n.inputs) s += " <" + i;
    for (const auto& o : n.outputs) s += " >" + o;
    for (const auto& [k, v] : n.attrs) s += " " + k + "=" + v.str();
    s += "\n";
  }
  return fnv1a64(s.data(), s.size());
}

RunPosition restoreCheckpoint(const CheckpointData& ck, const std::string& path,
                              const Program& program, ParamStore& store,
                              Optimizer* optimizer) {
  checkCompatible(ck, path, paramShapes(program), modelFingerprint(program));
  std::vector<std::pair<std::span<float>, const CheckpointTensor*>> states;
  if (optimizer) {
    auto state = optimizer->state();
    if (ck.optimizerState.size() != state.size())
      throw DataError({path, 0, 0}, "", "",
                      "checkpoint holds " + std::to_string(ck.optimizerState.size()) +
                          " optimizer tensors, the optimizer needs " +
                          std::to_string(state.size()) +
                          " (was it saved with another optimizer?)");
    for (auto& [name, buf] : state) {
      const std::string& want = name;
      auto it = std::find_if(ck.optimizerState.begin(), ck.optimizerState.end(),
                             [&want](const CheckpointTensor& t) { return t.name == want; });
      if (it == ck.optimizerState.end() || it->data.size() != buf.size())
        throw DataError({path, 0, 0}, "", "",
                        "checkpoint has no optimizer state '" + name + "' of " +
                            std::to_string(buf.size()) + " values");
      states.emplace_back(buf, &*it);
    }
  }
  for (const CheckpointTensor& t : ck.params)
    for (int k = 0; k < store.numParams(); ++k)
      if (store.def(k).name == t.name)
        std::memcpy(store.data(k), t.data.data(), t.data.size() * sizeof(float));
  for (auto& [buf, t] : states) std::copy(t->data.begin(), t->data.end(), buf.begin());
  if (optimizer) optimizer->setSteps(ck.optimizerSteps);
  RunPosition at;
  at.step = ck.step;
  at.epoch = ck.epoch;
  at.positionInEpoch = ck.positionInEpoch;
  at.bestMetric = ck.bestMetric;
  at.bestStep = ck.bestStep;
  return at;
}

void loadParams(const std::string& path, const Program& program, ParamStore& store) {
  restoreCheckpoint(readCheckpoint(path), path, program, store, nullptr);
}

std::vector<std::string> initParamsFrom(const CheckpointData& ck, const std::string& path,
                                        ParamStore& store, bool skipMismatched) {
  std::vector<std::string> mismatched;
  std::vector<std::pair<int, const CheckpointTensor*>> copies;
  for (int k = 0; k < store.numParams(); ++k) {
    const ParamDef& d = store.def(k);
    auto it = std::find_if(ck.params.begin(), ck.params.end(),
                           [&d](const CheckpointTensor& t) { return t.name == d.name; });
    if (it == ck.params.end())
      mismatched.push_back(d.name + ": not in the checkpoint");
    else if (it->dims != d.dims)
      mismatched.push_back(d.name + ": model " + dimsStr(d.dims) + ", checkpoint " +
                           dimsStr(it->dims));
    else
      copies.emplace_back(k, &*it);
  }
  if (!mismatched.empty() && !skipMismatched) {
    std::string list;
    for (const std::string& m : mismatched) list += (list.empty() ? "" : "; ") + m;
    throw DataError({path, 0, 0}, "", "",
                    "cannot initialise from this checkpoint: " + list +
                        " (--init-skip-mismatched keeps those params' initialisation)");
  }
  for (auto& [k, t] : copies)
    std::memcpy(store.data(k), t->data.data(), t->data.size() * sizeof(float));
  return mismatched;
}

CheckpointData snapshotCheckpoint(const Program& program, ParamStore& store,
                                  Optimizer& optimizer, const RunPosition& at) {
  CheckpointData ck;
  ck.modelName = program.graph().name;
  ck.modelFingerprint = modelFingerprint(program);
  ck.step = at.step;
  ck.epoch = at.epoch;
  ck.positionInEpoch = at.positionInEpoch;
  ck.threads = numThreads();
  ck.bestMetric = at.bestMetric;
  ck.bestStep = at.bestStep;
  for (int k = 0; k < store.numParams(); ++k)
    ck.params.push_back(tensorOf(store.def(k).name, store.def(k).dims, store.data(k)));
  for (auto& [name, buf] : optimizer.state())
    ck.optimizerState.push_back(tensorOf(name, {int64_t(buf.size())}, buf.data()));
  ck.optimizerSteps = optimizer.steps();
  return ck;
}

}  // namespace tapeflow
