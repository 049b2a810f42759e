// frontends/onnx/onnx_importer.h - internal: the state of one ONNX import
// (names, constants, the tapeflow graph being built) shared by the driver
// (onnx_import.cpp) and the per-op mappings (onnx_import_ops.cpp).
#pragma once

#include <onnx/onnx_pb.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_io.h"

namespace tapeflow::onnxio::detail {

/// A tensor known at import time (initializer or Constant node output).
struct ConstTensor {
  Dims dims;
  bool isFloat = true;
  std::vector<float> f;
  std::vector<int64_t> i;
  bool constant = false;  ///< never trained (Constant node or marked)
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string fileName, ImportOptions o);
  ImportResult run();

  // --- for the op mappings ---
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& msg) const;
  int opset() const { return opset_; }
  /// tapeflow value of input `port` used as tensor data; an initializer or
  /// constant becomes a param (trainable unless `trainable` is false or it
  /// is marked constant).
  std::string value(const onnx::NodeProto& n, int port, bool trainable = true);
  /// True if input `port` exists and is not the empty name.
  static bool hasInput(const onnx::NodeProto& n, int port) {
    return port < n.input_size() && !n.input(port).empty();
  }
  /// The constant behind input `port`, or null when computed at run time.
  const ConstTensor* constant(const onnx::NodeProto& n, int port) const;
  /// Integer data of a constant input; fails (dynamic shape) otherwise.
  std::vector<int64_t> constInts(const onnx::NodeProto& n, int port, const char* what);
  /// Dims of a tapeflow value (-1 for the batch axis), by shape inference.
  Dims dimsOf(const std::string& tfValue);
  /// Adds a tapeflow node computing ONNX outputs 0 .. numOutputs-1 of `n`
  /// (the mappings check that no further output is used).
  void emit(const onnx::NodeProto& n, const std::string& op, std::vector<std::string> inputs,
            std::map<std::string, AttrValue> attrs = {}, int numOutputs = 1);
  /// ONNX output 0 of `n` is the tapeflow value `tfValue` (no node).
  void alias(const onnx::NodeProto& n, const std::string& tfValue);
  /// Records a constant produced by a Constant node.
  void setConstant(const std::string& onnxName, ConstTensor c) { consts_[onnxName] = std::move(c); }
  /// True once the ONNX value has a tapeflow value (param or node output).
  bool mapped(const std::string& onnxName) const { return names_.count(onnxName) > 0; }
  /// Replaces the data of an initializer (e.g. Gemm transB = 0 transposes).
  ConstTensor& mutableConstant(const std::string& onnxName) { return consts_.at(onnxName); }

 private:
  const onnx::ModelProto& m_;
  std::string file_;
  ImportOptions opt_;
  int opset_ = 0;
  Graph g_;
  std::map<std::string, ConstTensor> consts_;   ///< by ONNX name
  std::map<std::string, std::string> names_;    ///< ONNX value -> tapeflow value
  std::set<std::string> usedValueNames_, usedNodeNames_;
  std::map<std::string, size_t> paramOf_;       ///< ONNX name -> g_.params index
  std::vector<std::vector<float>> paramData_;   ///< per param

  std::string uniqueName(const std::string& onnxName, std::set<std::string>& used) const;
  void readOpset();
  void readInitializers();
  void readInputs();
  void mapNode(const onnx::NodeProto& n);
  void addLoss();
  ImportResult finish();
};

/// Checks that a node carries only `allowed` attributes and reads them.
class Attrs {
 public:
  Attrs(const Importer& imp, const onnx::NodeProto& n, std::initializer_list<const char*> allowed);
  int64_t i(const char* name, int64_t def) const;
  float f(const char* name, float def) const;
  std::string s(const char* name, const std::string& def) const;
  std::vector<int64_t> ints(const char* name, std::vector<int64_t> def) const;
  bool has(const char* name) const { return find(name) != nullptr; }
  /// Fails naming the attribute and its value unless `ok`.
  void require(bool ok, const char* name, const std::string& why) const;

 private:
  const Importer& imp_;
  const onnx::NodeProto& n_;
  const onnx::AttributeProto* find(const char* name) const;
  const onnx::AttributeProto* typed(const char* name, onnx::AttributeProto::AttributeType t) const;
};

/// Reads a TensorProto (FLOAT, or INT64/INT32 for shapes); fails for other
/// dtypes and for external data, naming the tensor.
ConstTensor readTensor(const onnx::TensorProto& t, const std::string& fileName,
                       const std::string& node, const std::string& op);

/// The op mappings: false when `n.op_type()` is not one of them.
bool mapOp(Importer& imp, const onnx::NodeProto& n);
/// Comma-separated list of the ONNX ops import maps.
std::string mappedOps();

}  // namespace tapeflow::onnxio::detail
