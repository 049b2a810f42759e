// frontends/cpp/tapeflow.cpp - the C++ API over Program, ParamStore and Plan.
#include "frontends/cpp/tapeflow.h"

#include <cstring>

#include "core/param_store.h"
#include "core/plan.h"
#include "core/program.h"
#include "frontends/pbtxt/pbtxt_loader.h"
#include "ops/registry.h"

namespace tapeflow {

Tensor::Tensor(Dims dims, std::vector<float> data)
    : dims_(std::move(dims)), data_(std::move(data)) {
  if (checkedNumel(dims_) != int64_t(data_.size()))
    throw UsageError({}, "", "",
                     "tensor " + dimsStr(dims_) + " needs " +
                         std::to_string(checkedNumel(dims_)) + " values, found " +
                         std::to_string(data_.size()));
}

Tensor Tensor::ofInts(Dims dims, std::vector<int32_t> data) {
  Tensor t;
  if (checkedNumel(dims) != int64_t(data.size()))
    throw UsageError({}, "", "",
                     "tensor " + dimsStr(dims) + " needs " +
                         std::to_string(checkedNumel(dims)) + " values, found " +
                         std::to_string(data.size()));
  t.dims_ = std::move(dims);
  t.dtype_ = DType::I32;
  t.ints_ = std::move(data);
  return t;
}

Tensor Tensor::zeros(Dims dims) {
  int64_t n = checkedNumel(dims);
  if (n < 0) throw UsageError({}, "", "", "invalid dims " + dimsStr(dims));
  return Tensor(std::move(dims), std::vector<float>(size_t(n), 0.f));
}

int64_t Tensor::size() const { return numel(dims_); }

GraphBuilder::GraphBuilder(std::string name) { graph_.name = std::move(name); }

std::string GraphBuilder::input(const std::string& name, Dims dims, DType dtype) {
  graph_.inputs.push_back({name, dtype, std::move(dims), {}});
  return name;
}

std::string GraphBuilder::param(const std::string& name, Dims dims,
                                const std::string& init) {
  ParamDef p;
  p.name = name;
  p.dims = std::move(dims);
  p.init.kind = init;
  graph_.params.push_back(std::move(p));
  return name;
}

std::string GraphBuilder::constant(const std::string& name, Dims dims,
                                   std::vector<float> data) {
  ParamDef p;
  p.name = name;
  p.dims = std::move(dims);
  p.trainable = false;
  p.data = std::move(data);
  graph_.params.push_back(std::move(p));
  return name;
}

std::string GraphBuilder::node(const std::string& op,
                               const std::vector<std::string>& inputs,
                               std::map<std::string, AttrValue> attrs,
                               const std::string& name) {
  Node n;
  n.op = op;
  n.name = name.empty() ? op + "_" + std::to_string(graph_.nodes.size()) : name;
  n.inputs = inputs;
  n.outputs = {n.name};
  n.attrs = std::move(attrs);
  graph_.nodes.push_back(std::move(n));
  last_ = graph_.nodes.back().name;
  return last_;
}

GraphBuilder& GraphBuilder::output(const std::string& v) {
  graph_.outputs.push_back(v);
  return *this;
}
GraphBuilder& GraphBuilder::loss(const std::string& v) {
  graph_.loss = v;
  return *this;
}
GraphBuilder& GraphBuilder::prediction(const std::string& v) {
  graph_.prediction = v;
  return *this;
}

struct Model::Impl {
  std::shared_ptr<const Program> program;
  std::unique_ptr<ParamStore> store;
  std::map<std::pair<int64_t, bool>, std::unique_ptr<Plan>> plans;
  std::map<std::string, Tensor> inputs;
  Plan* last = nullptr;

  int param(const std::string& name) const {
    for (int k = 0; k < store->numParams(); ++k)
      if (store->def(k).name == name) return k;
    throw UsageError(program->graph().loc, "", "", "no parameter named '" + name + "'");
  }
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::fromGraph(Graph graph, uint64_t seed) {
  auto impl = std::make_unique<Impl>();
  impl->program = Program::build(std::move(graph), ops::registry());
  impl->store = std::make_unique<ParamStore>(impl->program);
  impl->store->initialize(seed);
  return Model(std::move(impl));
}

Model Model::load(const std::string& path, uint64_t seed) {
  return fromGraph(loadGraphFile(path), seed);
}

void Model::initialize(uint64_t seed) { impl_->store->initialize(seed); }

void Model::setInput(const std::string& name, const Tensor& value) {
  int v = impl_->program->findValue(name);
  if (v < 0 || impl_->program->value(v).kind != ValueKind::Input)
    throw UsageError(impl_->program->graph().loc, "", "",
                     "'" + name + "' is not a graph input");
  impl_->inputs[name] = value;
}

void Model::forward(bool training) {
  const Program& p = *impl_->program;
  int64_t batch = 1;
  for (const InputDef& in : p.graph().inputs) {
    auto it = impl_->inputs.find(in.name);
    if (it == impl_->inputs.end()) continue;
    if (!in.dims.empty() && in.dims[0] == -1 && !it->second.dims().empty())
      batch = it->second.dims()[0];
  }
  auto key = std::make_pair(batch, training);
  auto& plan = impl_->plans[key];
  if (!plan) {
    PlanOptions o;
    o.mode = training ? Mode::Training : Mode::Inference;
    o.batch = batch;
    plan = std::make_unique<Plan>(impl_->program, *impl_->store, o);
  }
  for (const InputDef& in : p.graph().inputs) {
    auto it = impl_->inputs.find(in.name);
    if (it == impl_->inputs.end()) continue;
    int v = p.findValue(in.name);
    const Tensor& t = it->second;
    if (t.dims() != plan->dims(v) || t.dtype() != in.dtype)
      throw ShapeError(in.loc, "", "",
                       "input '" + in.name + "' expects " + dtypeName(in.dtype) + " " +
                           dimsStr(plan->dims(v)) + ", found " + dtypeName(t.dtype()) +
                           " " + dimsStr(t.dims()));
    void* dst = plan->inputMemory(in.name).get_data_handle();
    if (t.dtype() == DType::F32)
      std::memcpy(dst, t.data().data(), t.data().size() * sizeof(float));
    else
      std::memcpy(dst, t.ints().data(), t.ints().size() * sizeof(int32_t));
  }
  plan->forward();
  impl_->last = plan.get();
}

void Model::backward() {
  if (!impl_->last || impl_->last->mode() != Mode::Training)
    throw UsageError(impl_->program->graph().loc, "", "",
                     "backward() needs a training forward(true) first");
  impl_->last->backward();
}

Tensor Model::value(const std::string& name) const {
  if (!impl_->last)
    throw UsageError(impl_->program->graph().loc, "", "", "no forward has run yet");
  int v = impl_->program->findValue(name);
  std::vector<float> data = impl_->last->readValue(name);
  return Tensor(impl_->last->dims(v), std::move(data));
}

Tensor Model::grad(const std::string& name) const {
  if (!impl_->last)
    throw UsageError(impl_->program->graph().loc, "", "", "no backward has run yet");
  int v = impl_->program->findValue(name);
  std::vector<float> data = impl_->last->readGrad(name);
  return Tensor(impl_->last->dims(v), std::move(data));
}

Tensor Model::param(const std::string& name) const {
  int k = impl_->param(name);
  const float* d = impl_->store->data(k);
  return Tensor(impl_->store->def(k).dims,
                std::vector<float>(d, d + impl_->store->size(k)));
}

void Model::setParam(const std::string& name, const Tensor& value) {
  int k = impl_->param(name);
  if (value.dims() != impl_->store->def(k).dims)
    throw ShapeError(impl_->store->def(k).loc, "", "",
                     "parameter '" + name + "' is " + dimsStr(impl_->store->def(k).dims) +
                         ", found " + dimsStr(value.dims()));
  std::memcpy(impl_->store->data(k), value.data().data(), value.data().size() * sizeof(float));
}

std::vector<std::string> Model::paramNames() const {
  std::vector<std::string> out;
  for (int k = 0; k < impl_->store->numParams(); ++k)
    out.push_back(impl_->store->def(k).name);
  return out;
}

}  // namespace tapeflow
