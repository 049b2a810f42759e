// frontends/pbtxt/pbtxt_writer.cpp - writes graph files: the IR of
// core/graph.h to the text (.pbtxt) and binary (.pb) protobuf forms, so that
// the loader (pbtxt_loader.cpp) reads them back unchanged.
#include "frontends/pbtxt/pbtxt_loader.h"

#include "core/atomic_file.h"
#include "core/text_proto.h"
#include "frontends/pbtxt/graph.pb.h"

#include <google/protobuf/text_format.h>

#include <cstdio>

namespace tapeflow {
namespace {

namespace gpb = ::google::protobuf;
using text_proto::clip;
using text_proto::quoted;

// ---------------------------------------------------------------------------
// Graph -> GraphDef

proto::DType toProto(DType t) {
  return t == DType::I32 ? proto::I32 : proto::F32;
}

proto::InputDef toProto(const InputDef& in) {
  proto::InputDef d;
  d.set_name(in.name);
  d.set_dtype(toProto(in.dtype));
  for (int64_t x : in.dims) d.add_shape(x);
  return d;
}

bool isDefault(const Initializer& i) {
  return i.kind == "zeros" && i.value == 0.f && i.low == 0.f && i.high == 0.f &&
         i.mean == 0.f && i.stddev == 0.f && i.fanIn == 0 && !i.a && !i.b &&
         !i.gain && i.mode.empty() && i.nonlinearity.empty() &&
         i.weight.empty();
}

proto::ParamDef toProto(const ParamDef& p) {
  proto::ParamDef d;
  d.set_name(p.name);
  if (p.dtype != DType::F32) d.set_dtype(toProto(p.dtype));
  for (int64_t x : p.dims) d.add_shape(x);
  if (!p.trainable) d.set_constant(true);
  if (p.data.empty() || !isDefault(p.init)) {
    proto::InitDef* i = d.mutable_init();
    i->set_kind(p.init.kind);
    if (p.init.value != 0.f) i->set_value(p.init.value);
    if (p.init.low != 0.f) i->set_low(p.init.low);
    if (p.init.high != 0.f) i->set_high(p.init.high);
    if (p.init.mean != 0.f) i->set_mean(p.init.mean);
    if (p.init.stddev != 0.f) i->set_stddev(p.init.stddev);
    if (p.init.fanIn != 0) i->set_fan_in(p.init.fanIn);
    if (p.init.a) i->set_a(*p.init.a);
    if (p.init.b) i->set_b(*p.init.b);
    if (p.init.gain) i->set_gain(*p.init.gain);
    if (!p.init.mode.empty()) i->set_mode(p.init.mode);
    if (!p.init.nonlinearity.empty()) i->set_nonlinearity(p.init.nonlinearity);
    if (!p.init.weight.empty()) i->set_weight(p.init.weight);
  }
  for (float x : p.data) d.add_data(x);
  return d;
}

proto::AttrDef toProto(const std::string& name, const AttrValue& v) {
  proto::AttrDef d;
  d.set_name(name);
  switch (v.kind) {
    case AttrKind::Int:
      d.set_i(v.i);
      break;
    case AttrKind::Float:
      d.set_f(v.f);
      break;
    case AttrKind::String:
      d.set_s(v.s);
      break;
    case AttrKind::Ints:
      for (int64_t x : v.ints) d.add_ints(x);
      break;
    case AttrKind::Floats:
      for (float x : v.floats) d.add_floats(x);
      break;
  }
  return d;
}

bool isEmptyList(const AttrValue& v) {
  return (v.kind == AttrKind::Ints && v.ints.empty()) ||
         (v.kind == AttrKind::Floats && v.floats.empty());
}

/// The node without its attributes (written separately in text).
proto::NodeDef toProtoNoAttrs(const Node& n) {
  proto::NodeDef d;
  d.set_name(n.name);
  d.set_op(n.op);
  for (const std::string& s : n.inputs) d.add_input(s);
  for (const std::string& s : n.outputs) d.add_output(s);
  return d;
}

proto::GraphDef header(const Graph& g) {
  proto::GraphDef d;
  d.set_format_version(g.formatVersion);
  if (!g.name.empty()) d.set_name(g.name);
  return d;
}

proto::GraphDef trailer(const Graph& g) {
  proto::GraphDef d;
  for (const std::string& s : g.outputs) d.add_output(s);
  if (g.losses.empty() && !g.loss.empty()) d.add_loss(g.loss);
  for (const LossTerm& t : g.losses) {
    d.add_loss(t.name);
    d.add_loss_weight(t.weight);
  }
  if (!g.prediction.empty()) d.set_prediction(g.prediction);
  return d;
}

std::string print(const gpb::Message& m, bool singleLine) {
  gpb::TextFormat::Printer p;
  p.SetSingleLineMode(singleLine);
  p.SetUseShortRepeatedPrimitives(true);
  p.SetUseUtf8StringEscaping(true);
  std::string out;
  p.PrintToString(m, &out);
  if (singleLine)
    while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

/// `field { body }` on one line.
std::string block(const std::string& field, const std::string& body) {
  return field + " {" + (body.empty() ? "" : " " + body) + " }";
}

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points

std::string graphToText(const Graph& g) {
  std::string out = print(header(g), false);
  for (const InputDef& in : g.inputs)
    out += block("input", print(toProto(in), true)) + "\n";
  for (const ParamDef& p : g.params)
    out += block("param", print(toProto(p), true)) + "\n";
  for (const Node& n : g.nodes) {
    std::string body = print(toProtoNoAttrs(n), true);
    for (const auto& [name, v] : n.attrs) {
      std::string a = print(toProto(name, v), true);
      if (isEmptyList(v))
        a += v.kind == AttrKind::Ints ? " ints: []" : " floats: []";
      body += (body.empty() ? "" : " ") + block("attr", a);
    }
    out += block("node", body) + "\n";
  }
  out += print(trailer(g), false);
  return out;
}

std::string graphStructureText(const Graph& g) {
  Graph structure = g;
  for (ParamDef& p : structure.params) p.data.clear();
  return graphToText(structure);
}

void saveGraphBinary(const Graph& g, const std::string& path) {
  proto::GraphDef d = header(g);
  for (const InputDef& in : g.inputs) *d.add_input() = toProto(in);
  for (const ParamDef& p : g.params) *d.add_param() = toProto(p);
  for (const Node& n : g.nodes) {
    proto::NodeDef* nd = d.add_node();
    *nd = toProtoNoAttrs(n);
    for (const auto& [name, v] : n.attrs) {
      if (isEmptyList(v))
        throw UsageError(v.loc, clip(n.name), clip(n.op),
                         "attribute " + quoted(name) +
                             " is an empty list, which the binary graph "
                             "format cannot store; save the text form");
      *nd->add_attr() = toProto(name, v);
    }
  }
  proto::GraphDef t = trailer(g);
  d.MergeFrom(t);
  std::string bytes;
  if (!d.SerializeToString(&bytes))
    throw IoError(SourceLoc{path, 0, 0}, "", "",
                  "cannot serialize the graph (too large for protobuf)");

  writeFileAtomically(path, bytes);
}

}  // namespace tapeflow
