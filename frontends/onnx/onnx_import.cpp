// frontends/onnx/onnx_import.cpp - ONNX ModelProto -> tapeflow graph: names,
// opset, initializers, inputs and the driver; the op mappings live in
// onnx_import_ops.cpp.
#include "frontends/onnx/onnx_importer.h"

#include <cctype>
#include <cstring>

#include "ops/registry.h"

namespace tapeflow::onnxio {
namespace detail {
namespace {

std::string dtypeName(int t) {
  return onnx::TensorProto_DataType_IsValid(t)
             ? onnx::TensorProto_DataType_Name(onnx::TensorProto_DataType(t))
             : std::to_string(t);
}

std::string attrValueStr(const onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::INT: return std::to_string(a.i());
    case onnx::AttributeProto::FLOAT: return std::to_string(a.f());
    case onnx::AttributeProto::STRING: return "\"" + a.s() + "\"";
    case onnx::AttributeProto::INTS: {
      std::string s = "[";
      for (int k = 0; k < a.ints_size(); ++k) s += (k ? "," : "") + std::to_string(a.ints(k));
      return s + "]";
    }
    default: return "(" + onnx::AttributeProto_AttributeType_Name(a.type()) + ")";
  }
}

}  // namespace

ConstTensor readTensor(const onnx::TensorProto& t, const std::string& file,
                       const std::string& node, const std::string& op) {
  auto bad = [&](const std::string& msg) -> UnsupportedError {
    return UnsupportedError({file, 0, 0}, node, op, "tensor '" + t.name() + "' " + msg);
  };
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
    std::string where;
    for (const auto& e : t.external_data())
      if (e.key() == "location") where = " ('" + e.value() + "')";
    throw bad("keeps its data in an external file" + where +
              "; external data is not supported (save the model with its weights inside)");
  }
  ConstTensor c;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw bad("has a negative dim");
    c.dims.push_back(d);
    n *= d;
  }
  if (n > (int64_t{1} << 31)) throw bad("is too large");
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) {
        if (int64_t(raw.size()) != n * 4)
          throw bad("has " + std::to_string(raw.size()) + " bytes of data, expected " +
                    std::to_string(n * 4));
        c.f.resize(size_t(n));
        std::memcpy(c.f.data(), raw.data(), raw.size());
      } else {
        if (t.float_data_size() != n)
          throw bad("has " + std::to_string(t.float_data_size()) + " values, expected " +
                    std::to_string(n));
        c.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      c.isFloat = false;
      const size_t width = t.data_type() == onnx::TensorProto::INT64 ? 8 : 4;
      if (!raw.empty()) {
        if (int64_t(raw.size()) != n * int64_t(width)) throw bad("has the wrong data size");
        for (int64_t k = 0; k < n; ++k) {
          int64_t v = 0;
          if (width == 8) {
            std::memcpy(&v, raw.data() + k * 8, 8);
          } else {
            int32_t v32 = 0;
            std::memcpy(&v32, raw.data() + k * 4, 4);
            v = v32;
          }
          c.i.push_back(v);
        }
      } else if (width == 8) {
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
      } else {
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      if (int64_t(c.i.size()) != n) throw bad("has the wrong number of values");
      break;
    }
    default:
      throw bad("has dtype " + dtypeName(t.data_type()) +
                "; only FLOAT (and INT64/INT32 for shapes and pads) are supported");
  }
  c.constant = t.doc_string() == kConstantDoc;
  return c;
}

// ---------------------------------------------------------------------------
// Attrs

Attrs::Attrs(const Importer& imp, const onnx::NodeProto& n,
             std::initializer_list<const char*> allowed)
    : imp_(imp), n_(n) {
  for (const auto& a : n.attribute()) {
    bool ok = false;
    for (const char* name : allowed) ok |= a.name() == name;
    if (!ok) imp.fail(n, "attribute '" + a.name() + "' is not supported");
  }
}

const onnx::AttributeProto* Attrs::find(const char* name) const {
  for (const auto& a : n_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const onnx::AttributeProto* Attrs::typed(const char* name,
                                         onnx::AttributeProto::AttributeType t) const {
  const onnx::AttributeProto* a = find(name);
  if (a && a->type() != t)
    imp_.fail(n_, "attribute '" + std::string(name) + "' has type " +
                      onnx::AttributeProto_AttributeType_Name(a->type()) + ", expected " +
                      onnx::AttributeProto_AttributeType_Name(t));
  return a;
}

int64_t Attrs::i(const char* name, int64_t def) const {
  const auto* a = typed(name, onnx::AttributeProto::INT);
  return a ? a->i() : def;
}
float Attrs::f(const char* name, float def) const {
  const auto* a = typed(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : def;
}
std::string Attrs::s(const char* name, const std::string& def) const {
  const auto* a = typed(name, onnx::AttributeProto::STRING);
  return a ? a->s() : def;
}
std::vector<int64_t> Attrs::ints(const char* name, std::vector<int64_t> def) const {
  const auto* a = typed(name, onnx::AttributeProto::INTS);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}
void Attrs::require(bool ok, const char* name, const std::string& why) const {
  if (ok) return;
  const auto* a = find(name);
  imp_.fail(n_, "attribute '" + std::string(name) + "'" +
                    (a ? " = " + attrValueStr(*a) : std::string()) + " is not supported: " + why);
}

// ---------------------------------------------------------------------------
// Importer

Importer::Importer(const onnx::ModelProto& m, std::string fileName, ImportOptions o)
    : m_(m), file_(std::move(fileName)), opt_(std::move(o)) {}

void Importer::fail(const onnx::NodeProto& n, const std::string& msg) const {
  throw UnsupportedError({file_, 0, 0}, n.name(), n.op_type(),
                         msg + " (opset " + std::to_string(opset_) + ")");
}

std::string Importer::uniqueName(const std::string& onnxName, std::set<std::string>& used) const {
  std::string s;
  for (unsigned char c : onnxName)
    s += (std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-') ? char(c) : '_';
  if (s.empty()) s = "v";
  if (s.size() > 200) s.resize(200);
  std::string name = s;
  for (int k = 1; used.count(name); ++k) name = s + "_" + std::to_string(k);
  used.insert(name);
  return name;
}

void Importer::readOpset() {
  for (const auto& o : m_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = int(o.version());
  if (opset_ == 0)
    throw UnsupportedError({file_, 0, 0}, "", "",
                           "the model imports no opset of the default ONNX domain");
  if (opset_ > kMaxImportOpset || opset_ < kMinImportOpset)
    throw UnsupportedError({file_, 0, 0}, "", "",
                           "opset " + std::to_string(opset_) + " is not supported (import reads "
                           "opsets " + std::to_string(kMinImportOpset) + " to " +
                           std::to_string(kMaxImportOpset) + ")");
}

void Importer::readInitializers() {
  for (const auto& t : m_.graph().initializer()) consts_[t.name()] = readTensor(t, file_, "", "");
  if (m_.graph().sparse_initializer_size() > 0)
    throw UnsupportedError({file_, 0, 0}, "", "", "sparse initializers are not supported");
}

void Importer::readInputs() {
  for (const auto& in : m_.graph().input()) {
    if (consts_.count(in.name())) continue;  // IR < 4: initializers listed as inputs
    auto bad = [&](const std::string& msg) {
      return UnsupportedError({file_, 0, 0}, "", "", "input '" + in.name() + "' " + msg);
    };
    if (!in.type().has_tensor_type()) throw bad("is not a tensor");
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT && tt.elem_type() != onnx::TensorProto::INT32)
      throw bad("has dtype " + dtypeName(tt.elem_type()) +
                "; only FLOAT inputs (and INT32 indices) are supported");
    if (!tt.has_shape() || tt.shape().dim_size() == 0)
      throw bad("has no shape; a dynamic shape cannot be inferred");
    InputDef d;
    if (tt.elem_type() == onnx::TensorProto::INT32) d.dtype = DType::I32;
    for (int k = 0; k < tt.shape().dim_size(); ++k) {
      const auto& dim = tt.shape().dim(k);
      if (k == 0) {
        d.dims.push_back(-1);  // the batch axis, symbolic or not
      } else if (dim.has_dim_value() && dim.dim_value() > 0) {
        d.dims.push_back(dim.dim_value());
      } else {
        throw bad("has a dynamic dim " +
                  (dim.has_dim_param() ? "'" + dim.dim_param() + "'" : std::string("(unknown)")) +
                  " at axis " + std::to_string(k) +
                  "; only the batch axis (0) may be symbolic");
      }
    }
    d.name = uniqueName(in.name(), usedValueNames_);
    names_[in.name()] = d.name;
    g_.inputs.push_back(d);
  }
}

const ConstTensor* Importer::constant(const onnx::NodeProto& n, int port) const {
  if (!hasInput(n, port)) return nullptr;
  auto it = consts_.find(n.input(port));
  return it == consts_.end() ? nullptr : &it->second;
}

std::vector<int64_t> Importer::constInts(const onnx::NodeProto& n, int port, const char* what) {
  const ConstTensor* c = constant(n, port);
  if (!c)
    fail(n, std::string(what) + " input '" + (hasInput(n, port) ? n.input(port) : "") +
                "' is computed at run time (a dynamic shape); only constant " + what +
                " are supported");
  if (c->isFloat) fail(n, std::string(what) + " input '" + n.input(port) + "' is not integer");
  return c->i;
}

std::string Importer::value(const onnx::NodeProto& n, int port, bool trainable) {
  if (!hasInput(n, port)) fail(n, "input " + std::to_string(port) + " is missing");
  const std::string& name = n.input(port);
  if (auto it = names_.find(name); it != names_.end()) return it->second;
  auto c = consts_.find(name);
  if (c == consts_.end()) fail(n, "input '" + name + "' is not produced by any node");
  if (!c->second.isFloat)
    fail(n, "input '" + name + "' is an integer tensor; only FLOAT values are supported");
  ParamDef p;
  p.name = uniqueName(name, usedValueNames_);
  p.dims = c->second.dims.empty() ? Dims{1} : c->second.dims;
  p.trainable = trainable && !c->second.constant;
  paramOf_[name] = g_.params.size();
  paramData_.push_back(c->second.f);
  g_.params.push_back(p);
  names_[name] = p.name;
  return p.name;
}

Dims Importer::dimsOf(const std::string& tfValue) {
  for (const ParamDef& p : g_.params)
    if (p.name == tfValue) return p.dims;
  for (const InputDef& in : g_.inputs)
    if (in.name == tfValue) return in.dims;
  Graph probe = g_;
  for (size_t k = 0; k < probe.params.size(); ++k) probe.params[k].data = paramData_[k];
  probe.outputs = {tfValue};
  auto program = Program::build(std::move(probe), ops::registry());
  return program->value(program->findValue(tfValue)).dims;
}

void Importer::emit(const onnx::NodeProto& n, const std::string& op,
                    std::vector<std::string> inputs, std::map<std::string, AttrValue> attrs,
                    int numOutputs) {
  Node node;
  node.name = uniqueName(n.name().empty() ? n.op_type() : n.name(), usedNodeNames_);
  node.op = op;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  for (int k = 0; k < numOutputs; ++k) {
    node.outputs.push_back(uniqueName(n.output(k), usedValueNames_));
    names_[n.output(k)] = node.outputs.back();
  }
  node.loc = {file_, 0, 0};
  g_.nodes.push_back(std::move(node));
}

void Importer::alias(const onnx::NodeProto& n, const std::string& tfValue) {
  names_[n.output(0)] = tfValue;
}

void Importer::mapNode(const onnx::NodeProto& n) {
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    fail(n, "op '" + n.op_type() + "' of domain '" + n.domain() + "' is not supported");
  if (n.output_size() < 1) fail(n, "the node has no output");
  if (!mapOp(*this, n))
    fail(n, "unsupported op '" + n.op_type() + "'; import maps " + mappedOps());
}

void Importer::addLoss() {
  if (opt_.addLoss.empty()) return;
  if (opt_.addLoss != "softmax_cross_entropy")
    throw UsageError({}, "", "", "--add-loss '" + opt_.addLoss +
                                     "' is not supported; use softmax_cross_entropy");
  if (g_.prediction.empty()) throw GraphError({file_, 0, 0}, "", "", "the model has no output");
  InputDef label;
  label.name = uniqueName(opt_.labelName, usedValueNames_);
  if (label.name != opt_.labelName)
    throw UsageError({}, "", "", "--label-name '" + opt_.labelName +
                                     "' is already a value of the model; choose another");
  label.dtype = DType::I32;
  label.dims = {-1};
  g_.inputs.push_back(label);
  Node loss, acc;
  loss.name = uniqueName("loss", usedNodeNames_);
  loss.op = "SoftmaxCrossEntropy";
  loss.inputs = {g_.prediction, label.name};
  loss.outputs = {uniqueName("loss", usedValueNames_)};
  acc.name = uniqueName("accuracy", usedNodeNames_);
  acc.op = "Accuracy";
  acc.inputs = loss.inputs;
  acc.outputs = {uniqueName("accuracy", usedValueNames_)};
  g_.loss = loss.outputs[0];
  g_.outputs = {acc.outputs[0]};
  g_.nodes.push_back(loss);
  g_.nodes.push_back(acc);
}

ImportResult Importer::run() {
  readOpset();
  if (!m_.has_graph() || m_.graph().node_size() == 0)
    throw ParseError({file_, 0, 0}, "", "", "the ONNX model has no graph (or no nodes)");
  g_.loc = {file_, 0, 0};
  g_.name = m_.graph().name().empty() ? "imported" : uniqueName(m_.graph().name(), usedNodeNames_);
  usedNodeNames_.clear();
  readInitializers();
  readInputs();
  for (int k = 0; k < m_.graph().node_size(); ++k) mapNode(m_.graph().node(k));
  for (const auto& out : m_.graph().output()) {
    auto it = names_.find(out.name());
    if (it == names_.end())
      throw GraphError({file_, 0, 0}, "", "", "output '" + out.name() + "' is never computed");
    g_.outputs.push_back(it->second);
  }
  if (g_.outputs.empty()) throw GraphError({file_, 0, 0}, "", "", "the model has no output");
  g_.prediction = g_.outputs[0];
  addLoss();
  return finish();
}

ImportResult Importer::finish() {
  ImportResult r;
  for (size_t k = 0; k < g_.params.size(); ++k) {
    ParamDef& p = g_.params[k];
    r.tensors.push_back({p.name, p.dims, paramData_[k], p.trainable});
    if (opt_.inlineData || !p.trainable) {
      p.data = paramData_[k];
    } else {
      p.init.kind = p.dims.size() >= 2 ? "xavier_uniform" : "zeros";
    }
  }
  Program::build(g_, ops::registry());  // validates, throws on a bad graph
  r.graph = std::move(g_);
  r.opset = opset_;
  r.producer = m_.producer_name() + (m_.producer_version().empty() ? "" : " " + m_.producer_version());
  return r;
}

}  // namespace detail

ImportResult importModel(const std::string& bytes, const std::string& fileName,
                         const ImportOptions& options) {
  onnx::ModelProto m;
  if (bytes.empty() || !m.ParseFromString(bytes))
    throw ParseError({fileName, 0, 0}, "", "",
                     "not an ONNX model: the protobuf does not parse (truncated or corrupt "
                     "file, " + std::to_string(bytes.size()) + " bytes)");
  return detail::Importer(m, fileName, options).run();
}

}  // namespace tapeflow::onnxio
