// frontends/cpp/tapeflow.cpp - the public C++ API (<tapeflow/tapeflow.h>):
// Tensor, GraphBuilder and Model over Program, ParamStore and Plan.
#include "tapeflow/tapeflow.h"

#include <algorithm>
#include <cstring>

#include "frontends/cpp/api_internal.h"
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

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  if (dims_.empty() || begin < 0 || begin >= dims_[0] || end <= begin)
    throw UsageError({}, "", "",
                     "slice [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") of a tensor " + dimsStr(dims_));
  end = std::min(end, dims_[0]);
  const int64_t row = dims_[0] == 0 ? 0 : size() / dims_[0];
  Tensor t;
  t.dims_ = dims_;
  t.dims_[0] = end - begin;
  t.dtype_ = dtype_;
  if (dtype_ == DType::F32)
    t.data_.assign(data_.begin() + begin * row, data_.begin() + end * row);
  else
    t.ints_.assign(ints_.begin() + begin * row, ints_.begin() + end * row);
  return t;
}

float Tensor::item() const {
  if (dtype_ != DType::F32 || data_.size() != 1)
    throw UsageError({}, "", "",
                     std::string("item() needs a one-element f32 tensor, found ") +
                         dtypeName(dtype_) + " " + dimsStr(dims_));
  return data_[0];
}

GraphBuilder::GraphBuilder(std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->graph.name = std::move(name);
}
GraphBuilder::GraphBuilder(const GraphBuilder& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
GraphBuilder& GraphBuilder::operator=(const GraphBuilder& o) {
  impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
GraphBuilder::~GraphBuilder() = default;

Value GraphBuilder::input(const std::string& name, Dims dims, DType dtype) {
  impl_->graph.inputs.push_back({name, dtype, dims, {}});
  return Value(name, std::move(dims), dtype);
}

Value GraphBuilder::param(const std::string& name, Dims dims, const std::string& init) {
  ParamDef p;
  p.name = name;
  p.dims = dims;
  p.init.kind = init;
  impl_->graph.params.push_back(std::move(p));
  return Value(name, std::move(dims));
}

Value GraphBuilder::constant(const std::string& name, Dims dims, std::vector<float> data) {
  ParamDef p;
  p.name = name;
  p.dims = dims;
  p.trainable = false;
  p.data = std::move(data);
  impl_->graph.params.push_back(std::move(p));
  return Value(name, std::move(dims));
}

namespace {
AttrValue attrOf(const Attr& a) {
  if (auto* i = std::get_if<int64_t>(&a)) return AttrValue::ofInt(*i);
  if (auto* f = std::get_if<float>(&a)) return AttrValue::ofFloat(*f);
  if (auto* s = std::get_if<std::string>(&a)) return AttrValue::ofString(*s);
  if (auto* v = std::get_if<std::vector<int64_t>>(&a)) return AttrValue::ofInts(*v);
  return AttrValue::ofFloats(std::get<std::vector<float>>(a));
}
}  // namespace

Value GraphBuilder::node(const std::string& op, const std::vector<Value>& inputs,
                         Attrs attrs, const std::string& name) {
  Graph& g = impl_->graph;
  Node n;
  n.op = op;
  n.name = name.empty() ? op + "_" + std::to_string(g.nodes.size()) : name;
  for (const Value& v : inputs) n.inputs.push_back(v.name());
  n.outputs = {n.name};
  for (auto& [k, a] : attrs) n.attrs[k] = attrOf(a);
  g.nodes.push_back(std::move(n));
  return Value(g.nodes.back().name, {});
}

GraphBuilder& GraphBuilder::output(const Value& v) {
  impl_->graph.outputs.push_back(v.name());
  return *this;
}
GraphBuilder& GraphBuilder::loss(const Value& v) {
  impl_->graph.loss = v.name();
  return *this;
}
GraphBuilder& GraphBuilder::prediction(const Value& v) {
  impl_->graph.prediction = v.name();
  return *this;
}

int Model::Impl::param(const std::string& name) const {
  for (int k = 0; k < store->numParams(); ++k)
    if (store->def(k).name == name) return k;
  throw UsageError(program->graph().loc, "", "", "no parameter named '" + name + "'");
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::fromBuilder(const GraphBuilder& builder, uint64_t seed) {
  auto impl = std::make_unique<Impl>();
  impl->program = Program::build(builder.impl_->graph, ops::registry());
  impl->store = std::make_unique<ParamStore>(impl->program);
  impl->store->initialize(seed);
  return Model(std::move(impl));
}

Model Model::load(const std::string& path, uint64_t seed) {
  GraphBuilder b("");
  b.impl_->graph = loadGraphFile(path);
  return fromBuilder(b, seed);
}

void Model::train(bool on) { impl_->training = on; }
bool Model::isTraining() const { return impl_->training; }
void Model::initialize(uint64_t seed) { impl_->store->initialize(seed); }

void Model::setInput(const std::string& name, const Tensor& value) {
  int v = impl_->program->findValue(name);
  if (v < 0 || impl_->program->value(v).kind != ValueKind::Input)
    throw UsageError(impl_->program->graph().loc, "", "",
                     "'" + name + "' is not a graph input");
  impl_->inputs[name] = value;
}

void Model::forward(const std::map<std::string, Tensor>& inputs) {
  for (const auto& [name, t] : inputs) setInput(name, t);
  forward();
}

void Model::forward() {
  const Program& p = *impl_->program;
  const bool training = impl_->training;
  int64_t batch = 1;
  for (const InputDef& in : p.graph().inputs) {
    auto it = impl_->inputs.find(in.name);
    if (it == impl_->inputs.end()) continue;
    if (!in.dims.empty() && in.dims[0] == -1 && !it->second.dims().empty())
      batch = it->second.dims()[0];
  }
  auto& plan = impl_->plans[std::make_pair(batch, training)];
  if (!plan) {
    PlanOptions o;
    o.mode = training ? Mode::Training : Mode::Inference;
    o.batch = batch;
    // value() and grad() read any value and gradient after a training step.
    o.shareBuffers = !training;
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
  impl_->backwardRan = false;
}

void Model::backward() {
  if (!impl_->last || impl_->last->mode() != Mode::Training)
    throw UsageError(impl_->program->graph().loc, "", "",
                     "backward() needs a forward in training mode (model.train()) first");
  impl_->last->backward();
  impl_->backwardRan = true;
}

void Model::zeroGrad() {
  ParamStore& s = *impl_->store;
  for (int k = 0; k < s.numParams(); ++k)
    if (s.def(k).trainable && s.grad(k)) std::fill_n(s.gradData(k), s.size(k), 0.f);
}

Tensor Model::value(const Value& handle) const {
  const std::string& name = handle.name();
  if (!impl_->last)
    throw UsageError(impl_->program->graph().loc, "", "", "no forward has run yet");
  int v = impl_->program->findValue(name);
  std::vector<float> data = impl_->last->readValue(name);
  return Tensor(impl_->last->dims(v), std::move(data));
}

Value Model::find(const std::string& name) const {
  int v = impl_->program->findValue(name);
  if (v < 0)
    throw UsageError(impl_->program->graph().loc, "", "", "no value named '" + name + "'");
  const ValueInfo& info = impl_->program->value(v);
  return Value(info.name, info.dims, info.dtype);
}

std::optional<Tensor> Model::grad(const Value& handle) const {
  const std::string& name = handle.name();
  int v = impl_->program->findValue(name);
  if (v < 0)
    throw UsageError(impl_->program->graph().loc, "", "", "no value named '" + name + "'");
  if (!impl_->last || !impl_->backwardRan)
    throw UsageError(impl_->program->graph().loc, "", "",
                     "grad('" + name + "') needs backward() first");
  const ValueInfo& info = impl_->program->value(v);
  if (info.kind == ValueKind::Param && !impl_->store->def(info.owner).trainable)
    return std::nullopt;
  try {
    std::vector<float> data = impl_->last->readGrad(name);
    return Tensor(impl_->last->dims(v), std::move(data));
  } catch (const UsageError&) {
    return std::nullopt;  // no gradient flows to this value
  }
}

Tensor Model::param(const std::string& name) const {
  int k = impl_->param(name);
  const float* d = impl_->store->data(k);
  return Tensor(impl_->store->def(k).dims, std::vector<float>(d, d + impl_->store->size(k)));
}

void Model::setParam(const std::string& name, const Tensor& value) {
  int k = impl_->param(name);
  if (value.dims() != impl_->store->def(k).dims || value.dtype() != DType::F32)
    throw ShapeError(impl_->store->def(k).loc, "", "",
                     "parameter '" + name + "' is f32 " +
                         dimsStr(impl_->store->def(k).dims) + ", found " +
                         dtypeName(value.dtype()) + " " + dimsStr(value.dims()));
  std::memcpy(impl_->store->data(k), value.data().data(), value.data().size() * sizeof(float));
}

std::vector<Parameter> Model::parameters() const {
  std::vector<Parameter> out;
  for (int k = 0; k < impl_->store->numParams(); ++k) {
    const ParamDef& d = impl_->store->def(k);
    out.push_back({d.name, d.dims, d.trainable});
  }
  return out;
}

bool Model::trainable(const std::string& name) const {
  return impl_->store->def(impl_->param(name)).trainable;
}

std::string Model::lossName() const { return impl_->program->graph().loss; }
std::string Model::predictionName() const { return impl_->program->graph().prediction; }

}  // namespace tapeflow
