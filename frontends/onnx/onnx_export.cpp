// frontends/onnx/onnx_export.cpp - tapeflow Program -> ONNX ModelProto
// (opset 13, or 17 with a LayerNorm): the nodes the prediction depends on,
// weights as initializers, the batch axis as the symbolic dim "N", then the
// full ONNX checker.
#include "frontends/onnx/onnx_io.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace tapeflow::onnxio {
namespace {

using Ints = std::vector<int64_t>;

class Exporter {
 public:
  Exporter(const Program& p, const ParamValues& values, onnx::GraphProto& g, int opset)
      : p_(p), values_(values), g_(g), opset_(opset), dims1_(p.dimsAt(1)) {}

  void run();

 private:
  const Program& p_;
  const ParamValues& values_;
  onnx::GraphProto& g_;
  const int opset_;
  std::vector<Dims> dims1_;                   ///< every value at batch 1
  std::map<std::string, std::string> alias_;  ///< dropped node's output -> input
  std::map<int, Dims> paramDims_;             ///< param value -> initializer dims
  std::vector<onnx::TensorProto> inits_;

  [[noreturn]] void fail(int node, const std::string& msg) const {
    const Node& n = p_.graph().nodes.at(size_t(node));
    throw UnsupportedError(n.loc, n.name, n.op, msg + " (ONNX opset " +
                                                     std::to_string(opset_) + ")");
  }
  std::string in(int node, int port) const {
    const std::string& v = p_.value(p_.nodeInputs(node).at(size_t(port))).name;
    auto it = alias_.find(v);
    return it == alias_.end() ? v : it->second;
  }
  std::string out(int node) const { return p_.value(p_.nodeOutputs(node)[0]).name; }
  const Dims& inDims(int node, int port) const {
    return dims1_.at(size_t(p_.nodeInputs(node).at(size_t(port))));
  }
  const AttrValue& attr(int node, const char* name) const { return p_.attrs(node).at(name); }

  onnx::NodeProto* add(const std::string& op, const std::string& name,
                       std::vector<std::string> inputs, const std::string& output) {
    onnx::NodeProto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& s : inputs) n->add_input(s);
    n->add_output(output);
    return n;
  }
  static void setInts(onnx::NodeProto* n, const char* name, const Ints& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void setInt(onnx::NodeProto* n, const char* name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void setString(onnx::NodeProto* n, const char* name, const std::string& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void setFloat(onnx::NodeProto* n, const char* name, float v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  void addFloatInit(const std::string& name, const Dims& dims, const float* data,
                    size_t n, bool constant) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t.add_dims(d);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(data), n * sizeof(float)));
    if (constant) t.set_doc_string(kConstantDoc);
    inits_.push_back(std::move(t));
  }
  void addIntInit(const std::string& name, const Ints& v) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(int64_t(v.size()));
    t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8));
    inits_.push_back(std::move(t));
  }

  /// ONNX pads [top, left, bottom, right] of a 2-D window op at batch 1.
  Ints windowPads(int node, const Ints& kernel, const Ints& stride, const Ints& dilation) {
    const std::string mode = attr(node, "padding").s;
    if (mode == "EXPLICIT") return attr(node, "pads").ints;
    if (mode == "VALID") return {0, 0, 0, 0};
    const Dims& src = inDims(node, 0);
    Ints pads(4, 0);
    for (int a = 0; a < 2; ++a) {
      int64_t size = src[size_t(2 + a)], s = stride[size_t(a)];
      int64_t span = (kernel[size_t(a)] - 1) * dilation[size_t(a)] + 1;
      int64_t total = std::max<int64_t>(0, ((size + s - 1) / s - 1) * s + span - size);
      pads[size_t(a)] = total / 2;
      pads[size_t(a + 2)] = total - total / 2;
    }
    return pads;
  }

  void conv(int node);
  void convTranspose(int node);
  void pool(int node, const std::string& op);
  void split(int node);
  void linear(int node);
  void prelu(int node);
  void clip(int node);
  void reduce(int node);
  void squeeze(int node);
  void slice(int node);
  void layerNorm(int node);
  void swish(int node, float beta);
  void weightedSum(int node);
  void resize(int node);
  void node(int node);
  void valueInfo(onnx::ValueInfoProto* vi, int value) const;
};

void Exporter::conv(int node) {
  const Dims& w = inDims(node, 1);
  Ints kernel{w[2], w[3]}, stride = attr(node, "stride").ints,
      dilation = attr(node, "dilation").ints;
  std::vector<std::string> ins{in(node, 0), in(node, 1)};
  if (p_.nodeInputs(node).size() > 2) ins.push_back(in(node, 2));
  onnx::NodeProto* n = add("Conv", p_.graph().nodes[size_t(node)].name, ins, out(node));
  setInts(n, "dilations", dilation);
  setInt(n, "group", attr(node, "groups").i);
  setInts(n, "kernel_shape", kernel);
  setInts(n, "pads", windowPads(node, kernel, stride, dilation));
  setInts(n, "strides", stride);
}

void Exporter::convTranspose(int node) {
  const Dims& w = inDims(node, 1);
  std::vector<std::string> ins{in(node, 0), in(node, 1)};
  if (p_.nodeInputs(node).size() > 2) ins.push_back(in(node, 2));
  onnx::NodeProto* n =
      add("ConvTranspose", p_.graph().nodes[size_t(node)].name, ins, out(node));
  setInts(n, "dilations", attr(node, "dilation").ints);
  setInt(n, "group", attr(node, "groups").i);
  setInts(n, "kernel_shape", {w[2], w[3]});
  setInts(n, "output_padding", attr(node, "output_padding").ints);
  setInts(n, "pads", attr(node, "pads").ints);
  setInts(n, "strides", attr(node, "stride").ints);
}

// Opset 13: the part sizes are an int64 input, written for every split
// into several parts (tapeflow's equal parts may leave the last one
// smaller, which opset 13 cannot say); one part is the whole axis, the
// batch axis included, and needs no sizes.
void Exporter::split(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  const int64_t rank = int64_t(inDims(node, 0).size());
  int64_t axis = attr(node, "axis").i;
  if (axis < 0) axis += rank;
  std::vector<std::string> ins{in(node, 0)};
  if (p_.nodeOutputs(node).size() > 1) {
    if (p_.value(p_.nodeInputs(node)[0]).dims.at(size_t(axis)) < 0)
      fail(node, "splitting the batch axis has no export (its size is known at run time only)");
    Ints sizes;
    for (int v : p_.nodeOutputs(node)) sizes.push_back(dims1_.at(size_t(v)).at(size_t(axis)));
    addIntInit(name + ".split", sizes);
    ins.push_back(name + ".split");
  }
  onnx::NodeProto* n = add("Split", name, ins, out(node));
  for (size_t k = 1; k < p_.nodeOutputs(node).size(); ++k)
    n->add_output(p_.value(p_.nodeOutputs(node)[k]).name);
  setInt(n, "axis", axis);
}

void Exporter::pool(int node, const std::string& op) {
  Ints kernel = attr(node, "kernel").ints, stride = attr(node, "stride").ints;
  if (stride.empty()) stride = kernel;
  onnx::NodeProto* n = add(op, p_.graph().nodes[size_t(node)].name, {in(node, 0)}, out(node));
  if (op == "AveragePool") setInt(n, "count_include_pad", attr(node, "count_include_pad").i);
  setInts(n, "kernel_shape", kernel);
  setInts(n, "pads", windowPads(node, kernel, stride, {1, 1}));
  setInts(n, "strides", stride);
}

void Exporter::linear(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  std::string src = in(node, 0);
  if (inDims(node, 0).size() != 2) {  // Linear flattens [N,C,H,W] itself
    std::string flat = name + "/flat";
    setInt(add("Flatten", name + "/flatten", {src}, flat), "axis", 1);
    src = flat;
  }
  std::vector<std::string> ins{src, in(node, 1)};
  if (p_.nodeInputs(node).size() > 2) ins.push_back(in(node, 2));
  setInt(add("Gemm", name, ins, out(node)), "transB", 1);
}

// ONNX broadcasts the slope right-aligned; tapeflow reads a rank-1 slope
// [C] (C > 1) per channel (dim 1). For a src of rank > 2 it goes out as
// [C, 1, ..., 1]: a param's initializer gets those dims when every use of
// the param is such a slope, any other slope goes through a Reshape node.
void Exporter::prelu(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  const size_t rank = inDims(node, 0).size();
  const Dims& s = inDims(node, 1);
  std::string slope = in(node, 1);
  if (s.size() == 1 && s[0] > 1 && rank > 2) {
    Dims d(rank - 1, 1);
    d[0] = s[0];
    const int v = p_.nodeInputs(node)[1];
    const ValueInfo& info = p_.value(v);
    bool onlySlope = info.kind == ValueKind::Param;
    for (auto [user, port] : info.consumers)
      onlySlope = onlySlope && port == 1 && p_.graph().nodes[size_t(user)].op == "PRelu" &&
                  inDims(user, 0).size() == rank;
    if (onlySlope) {
      paramDims_[v] = d;
    } else {
      addIntInit(name + "/slope.shape", d);
      add("Reshape", name + "/slope", {slope, name + "/slope.shape"}, name + "/slope");
      slope = name + "/slope";
    }
  }
  add("PRelu", name, {in(node, 0), slope}, out(node));
}

// Opset 13: the bounds are optional inputs; the float range (the
// attributes' defaults) is left out.
void Exporter::clip(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  const float lo = attr(node, "min").f, hi = attr(node, "max").f;
  std::vector<std::string> ins{in(node, 0), ""};
  if (lo != std::numeric_limits<float>::lowest()) {
    addFloatInit(name + ".min", {}, &lo, 1, true);
    ins[1] = name + ".min";
  }
  if (hi != std::numeric_limits<float>::max()) {
    addFloatInit(name + ".max", {}, &hi, 1, true);
    ins.push_back(name + ".max");
  }
  if (ins.back().empty()) ins.pop_back();
  add("Clip", name, ins, out(node));
}

// ReduceSum takes its axes as an input from opset 13, ReduceMean and
// ReduceMax as an attribute until opset 18; no axes reduce every axis.
void Exporter::reduce(int node) {
  const Node& n = p_.graph().nodes[size_t(node)];
  const Ints& axes = attr(node, "axes").ints;
  std::vector<std::string> ins{in(node, 0)};
  if (n.op == "ReduceSum" && !axes.empty()) {
    addIntInit(n.name + ".axes", axes);
    ins.push_back(n.name + ".axes");
  }
  onnx::NodeProto* r = add(n.op, n.name, ins, out(node));
  if (n.op != "ReduceSum" && !axes.empty()) setInts(r, "axes", axes);
  setInt(r, "keepdims", attr(node, "keepdims").i);
}

// Squeeze and Unsqueeze take their axes as an input from opset 13. A
// Squeeze without axes gets the size-1 dims of the graph's shapes (never
// the batch axis), so that a run at batch 1 keeps its batch axis; with none
// it is the identity.
void Exporter::squeeze(int node) {
  const Node& n = p_.graph().nodes[size_t(node)];
  Ints axes = attr(node, "axes").ints;
  if (n.op == "Squeeze" && axes.empty()) {
    const Dims& d = p_.value(p_.nodeInputs(node)[0]).dims;
    for (size_t a = 0; a < d.size(); ++a)
      if (d[a] == 1) axes.push_back(int64_t(a));
    if (axes.empty()) {
      alias_[out(node)] = in(node, 0);
      return;
    }
  }
  addIntInit(n.name + ".axes", axes);
  add(n.op, n.name, {in(node, 0), n.name + ".axes"}, out(node));
}

// Opset 13: starts, ends, axes and steps are int64 inputs; absent axes
// (0 .. len-1) or steps (1 each) are left out.
void Exporter::slice(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  std::vector<std::string> ins{in(node, 0)};
  for (const char* part : {"starts", "ends", "axes", "steps"}) {
    const Ints& v = attr(node, part).ints;
    std::string init = name + "." + part;
    if (!v.empty()) addIntInit(init, v);
    ins.push_back(v.empty() ? "" : init);
  }
  while (ins.back().empty()) ins.pop_back();
  add("Slice", name, ins, out(node));
}

// LayerNormalization (opset 17): float statistics (stash_type 1, the
// default), only the first output.
void Exporter::layerNorm(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  std::vector<std::string> ins{in(node, 0), in(node, 1)};
  if (p_.nodeInputs(node).size() > 2) ins.push_back(in(node, 2));
  onnx::NodeProto* l = add("LayerNormalization", name, ins, out(node));
  setInt(l, "axis", attr(node, "axis").i);
  setFloat(l, "epsilon", attr(node, "epsilon").f);
}

// Swish (SiLU: beta 1) has no ONNX op: Mul(x, Sigmoid(Mul(x, beta))).
void Exporter::swish(int node, float beta) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  std::string x = in(node, 0), arg = x;
  if (beta != 1.f) {
    addFloatInit(name + ".beta", {1}, &beta, 1, true);
    arg = name + "/beta_x";
    add("Mul", arg, {x, name + ".beta"}, arg);
  }
  add("Sigmoid", name + "/sigmoid", {arg}, name + "/sigmoid");
  add("Mul", name, {x, name + "/sigmoid"}, out(node));
}

// sum_k weight_k * src_k: a Mul by a constant for each weight other than 1,
// then a chain of Adds (ONNX Sum has no import).
void Exporter::weightedSum(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  const std::vector<float>& w = attr(node, "weights").floats;
  const size_t k = p_.nodeInputs(node).size();
  std::vector<std::string> terms;
  for (size_t j = 0; j < k; ++j) {
    std::string t = in(node, int(j));
    if (!w.empty() && w[j] != 1.f) {
      std::string c = name + ".w" + std::to_string(j);
      addFloatInit(c, {1}, &w[j], 1, true);
      std::string scaled = k == 1 ? out(node) : name + "/w" + std::to_string(j) + "_x";
      add("Mul", k == 1 ? name : scaled, {t, c}, scaled);
      t = scaled;
    }
    terms.push_back(t);
  }
  if (k == 1) {
    if (terms[0] != out(node)) alias_[out(node)] = terms[0];
    return;
  }
  std::string acc = terms[0];
  for (size_t j = 1; j < k; ++j) {
    std::string sum = j + 1 == k ? out(node) : name + "/sum" + std::to_string(j);
    add("Add", j + 1 == k ? name : sum, {acc, terms[j]}, sum);
    acc = sum;
  }
}

// Resize and Upsample: ONNX Resize (opset 13) by a scale for every dim,
// out / in of the dims at batch 1, nudged up where ONNX's floor(in * scale)
// would fall short of out. Nearest (whole upscaling factors: every
// coordinate mode replicates) as asymmetric + floor, linear as half_pixel.
void Exporter::resize(int node) {
  const std::string& name = p_.graph().nodes[size_t(node)].name;
  const Dims& src = inDims(node, 0);
  const Dims& dst = dims1_.at(size_t(p_.nodeOutputs(node)[0]));
  std::vector<float> scales(src.size(), 1.f);
  for (size_t k = 2; k < src.size(); ++k) {
    const float in = float(src[k]), want = float(dst[k]);
    float s = want / in;
    while (std::floor(in * s) < want || std::floor(double(in) * double(s)) < double(want))
      s = std::nextafter(s, 2.f * s);
    scales[k] = s;
  }
  addFloatInit(name + ".scales", {int64_t(scales.size())}, scales.data(), scales.size(), true);
  onnx::NodeProto* r = add("Resize", name, {in(node, 0), "", name + ".scales"}, out(node));
  const bool nearest = attr(node, "mode").s == "nearest";
  setString(r, "coordinate_transformation_mode", nearest ? "asymmetric" : "half_pixel");
  setString(r, "mode", nearest ? "nearest" : "linear");
  if (nearest) setString(r, "nearest_mode", "floor");
}

void Exporter::node(int i) {
  const Node& n = p_.graph().nodes[size_t(i)];
  const std::string& op = n.op;
  if (op == "Conv2D") return conv(i);
  if (op == "ConvTranspose2D") return convTranspose(i);
  if (op == "Split") return split(i);
  if (op == "Linear") return linear(i);
  if (op == "MaxPool") return pool(i, "MaxPool");
  if (op == "AvgPool") return pool(i, "AveragePool");
  if (op == "Dropout" || op == "Dropout2d" || op == "Identity") {  // inference: the identity
    alias_[out(i)] = in(i, 0);
    return;
  }
  if (op == "PRelu") return prelu(i);
  if (op == "Clip") return clip(i);
  if (op == "ReduceSum" || op == "ReduceMean" || op == "ReduceMax") return reduce(i);
  if (op == "Squeeze" || op == "Unsqueeze") return squeeze(i);
  if (op == "Slice") return slice(i);
  if (op == "LayerNorm") return layerNorm(i);
  if (op == "SiLU") return swish(i, 1.f);
  if (op == "Swish") return swish(i, attr(i, "beta").f);
  if (op == "WeightedSum") return weightedSum(i);
  if (op == "Resize" || op == "Upsample") return resize(i);
  if (op == "Gather" || op == "Embedding") {  // int32 indices; Embedding: rows of a table
    onnx::NodeProto* g = add("Gather", n.name, {in(i, 0), in(i, 1)}, out(i));
    setInt(g, "axis", op == "Gather" ? attr(i, "axis").i : 0);
    return;
  }
  if (op == "Square") {  // x * x
    add("Mul", n.name, {in(i, 0), in(i, 0)}, out(i));
    return;
  }
  if (op == "Pow") {  // opset 13: the exponent is an input, here a constant scalar
    float e = attr(i, "exponent").f;
    addFloatInit(n.name + ".exponent", {}, &e, 1, true);
    add("Pow", n.name, {in(i, 0), n.name + ".exponent"}, out(i));
    return;
  }
  static const std::set<std::string> sameName = {
      "Relu", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div", "Exp", "Log",
      "Sqrt", "Abs", "Neg", "Softplus", "Min", "Max", "GlobalMaxPool",
      "GlobalAveragePool"};
  if (sameName.count(op)) {
    std::vector<std::string> ins;
    for (size_t k = 0; k < p_.nodeInputs(i).size(); ++k) ins.push_back(in(i, int(k)));
    add(op, n.name, ins, out(i));
    return;
  }
  if (op == "HardSigmoid") {
    onnx::NodeProto* h = add(op, n.name, {in(i, 0)}, out(i));
    setFloat(h, "alpha", attr(i, "alpha").f);
    setFloat(h, "beta", attr(i, "beta").f);
    return;
  }
  if (op == "Transpose") {  // no perm: reversed axes in both
    onnx::NodeProto* t = add(op, n.name, {in(i, 0)}, out(i));
    if (attr(i, "perm").ints.empty()) return;
    auto* perm = t->add_attribute();
    perm->set_name("perm");
    perm->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : attr(i, "perm").ints) perm->add_ints(v);
    return;
  }
  if (op == "Elu" || op == "LeakyRelu") {
    setFloat(add(op, n.name, {in(i, 0)}, out(i)), "alpha", attr(i, "alpha").f);
    return;
  }
  if (op == "Softmax" || op == "LogSoftmax" || op == "Concat") {
    std::vector<std::string> ins;
    for (size_t k = 0; k < p_.nodeInputs(i).size(); ++k) ins.push_back(in(i, int(k)));
    setInt(add(op, n.name, ins, out(i)), "axis", attr(i, "axis").i);
    return;
  }
  if (op == "MatMul") {
    if (attr(i, "transpose_a").i || attr(i, "transpose_b").i)
      fail(i, "attribute transpose_a/transpose_b has no export (ONNX MatMul never transposes)");
    add("MatMul", n.name, {in(i, 0), in(i, 1)}, out(i));
    return;
  }
  if (op == "ScaledTanh") {  // a * tanh(s * x) = Mul(Tanh(Mul(x, s)), a)
    float s = attr(i, "s").f, a = attr(i, "a").f;
    addFloatInit(n.name + ".s", {1}, &s, 1, true);
    addFloatInit(n.name + ".a", {1}, &a, 1, true);
    add("Mul", n.name + "/scale_in", {in(i, 0), n.name + ".s"}, n.name + "/sx");
    add("Tanh", n.name + "/tanh", {n.name + "/sx"}, n.name + "/tanh");
    add("Mul", n.name, {n.name + "/tanh", n.name + ".a"}, out(i));
    return;
  }
  if (op == "BatchNorm") {
    onnx::NodeProto* b = add("BatchNormalization", n.name,
                             {in(i, 0), in(i, 1), in(i, 2), in(i, 3), in(i, 4)}, out(i));
    setFloat(b, "epsilon", attr(i, "epsilon").f);
    // ONNX: running = running * momentum + batch * (1 - momentum)
    setFloat(b, "momentum", 1.f - attr(i, "momentum").f);
    return;
  }
  if (op == "Flatten" || op == "Reshape") {
    int64_t axis = op == "Flatten" ? attr(i, "axis").i : 0;
    if (op == "Flatten" && (axis == 1 || (axis == -1 && inDims(i, 0).size() == 2))) {
      setInt(add("Flatten", n.name, {in(i, 0)}, out(i)), "axis", 1);
      return;
    }
    Ints shape;
    if (op == "Reshape") {
      shape = attr(i, "shape").ints;
    } else {  // keep the dims before axis, merge the rest (torch.flatten)
      if (axis < 0) axis += int64_t(inDims(i, 0).size());
      shape.assign(size_t(axis), 0);
      shape.push_back(-1);
    }
    addIntInit(n.name + ".shape", shape);
    add("Reshape", n.name, {in(i, 0), n.name + ".shape"}, out(i));
    return;
  }
  if (op == "Pad") {
    float v = attr(i, "value").f;
    addIntInit(n.name + ".pads", attr(i, "pads").ints);
    addFloatInit(n.name + ".value", {}, &v, 1, true);
    add("Pad", n.name, {in(i, 0), n.name + ".pads", n.name + ".value"}, out(i));
    return;
  }
  fail(i, "op " + op + " has no ONNX export");
}

/// The nodes the prediction depends on.
std::set<int> neededNodes(const Program& p) {
  std::set<int> needed;
  if (p.predictionValue() < 0) return needed;
  std::vector<int> todo{p.predictionValue()};
  std::set<int> seen;
  while (!todo.empty()) {
    int v = todo.back();
    todo.pop_back();
    if (!seen.insert(v).second) continue;
    const ValueInfo& info = p.value(v);
    if (info.kind != ValueKind::NodeOutput) continue;
    needed.insert(info.owner);
    for (int x : p.nodeInputs(info.owner)) todo.push_back(x);
  }
  return needed;
}

void Exporter::valueInfo(onnx::ValueInfoProto* vi, int value) const {
  const ValueInfo& v = p_.value(value);
  vi->set_name(v.name);
  onnx::TypeProto_Tensor* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(v.dtype == DType::I32 ? onnx::TensorProto::INT32
                                         : onnx::TensorProto::FLOAT);
  for (int64_t d : v.dims) {
    onnx::TensorShapeProto_Dimension* dim = t->mutable_shape()->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

void Exporter::run() {
  if (p_.predictionValue() < 0)
    throw GraphError(p_.graph().loc, "", "",
                     "the graph declares no prediction; export writes the graph that "
                     "computes it");
  std::set<int> needed = neededNodes(p_);
  std::set<int> usedValues;
  for (int i : p_.order()) {
    if (!needed.count(i)) continue;
    node(i);
    for (int x : p_.nodeInputs(i)) usedValues.insert(x);
  }
  for (const ValueInfo& v : p_.values()) {
    int idx = p_.findValue(v.name);
    if (!usedValues.count(idx)) continue;
    if (v.kind == ValueKind::Input) {
      valueInfo(g_.add_input(), idx);
    } else if (v.kind == ValueKind::Param) {
      const ParamDef& d = p_.graph().params.at(size_t(v.owner));
      auto it = values_.find(d.name);
      if (it == values_.end() || int64_t(it->second.size()) != numel(d.dims))
        throw UsageError(d.loc, "", "", "no values (or the wrong number) for param '" +
                                            d.name + "'");
      auto dims = paramDims_.find(idx);
      addFloatInit(d.name, dims == paramDims_.end() ? d.dims : dims->second, it->second.data(),
                   it->second.size(), !d.trainable);
    }
  }
  std::string pred = p_.value(p_.predictionValue()).name;
  if (alias_.count(pred)) {  // the prediction was a dropped node's output
    add("Identity", pred + "/identity", {alias_[pred]}, pred);
  }
  valueInfo(g_.add_output(), p_.predictionValue());
  std::sort(inits_.begin(), inits_.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  for (auto& t : inits_) *g_.add_initializer() = std::move(t);
}

}  // namespace

bool available() { return true; }

int exportOpset(const Program& program) {
  for (int node : neededNodes(program))
    if (program.graph().nodes[size_t(node)].op == "LayerNorm") return kLayerNormOpset;
  return kExportOpset;
}

std::string exportModel(const Program& program, const ParamValues& values,
                        const ExportOptions& options) {
  onnx::ModelProto m;
  m.set_ir_version(onnx::IR_VERSION);  // 8, what ONNX 1.12 writes
  m.set_producer_name("tapeflow");
  m.set_producer_version(options.producerVersion);
  onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  const int version = exportOpset(program);
  opset->set_version(version);
  for (const auto& [k, v] : options.metadata) {
    onnx::StringStringEntryProto* e = m.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name(program.graph().name.empty() ? "tapeflow" : program.graph().name);
  Exporter(program, values, *g, version).run();
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    throw IoError(program.graph().loc, "", "", "cannot serialise the ONNX model");
  checkModel(bytes, program.graph().name);
  return bytes;
}

void checkModel(const std::string& bytes, const std::string& fileName) {
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes))
    throw ParseError({fileName, 0, 0}, "", "", "not an ONNX model (protobuf parse failed)");
  try {
    onnx::checker::check_model(m);
    // The full check (Python's full_check=True): strict shape inference with
    // type checks, which also compares inferred and declared output shapes.
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    throw ParseError({fileName, 0, 0}, "", "", "ONNX checker: " + msg);
  }
}

}  // namespace tapeflow::onnxio
