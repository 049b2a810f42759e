// frontends/onnx/onnx_io.h - ONNX ModelProto files <-> tapeflow graphs plus
// their weights (ONNX initializers). Built on Debian's libonnx (generated
// onnx/onnx_pb.h and its C++ checker); without it (TAPEFLOW_WITH_ONNX off)
// every function throws UnsupportedError saying so.
//
// Export writes the inference graph: the nodes the graph's `prediction`
// depends on, Dropout removed, BatchNorm in inference form, ONNX opset 13
// (17 when the graph has a LayerNorm), the batch axis as the symbolic dim
// "N". Import reads opsets 11 to 17 of the default domain; every op,
// attribute or value it cannot map exactly is an error naming the node, the
// op, the attribute and the opset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/program.h"

namespace tapeflow::onnxio {

/// The opset export writes, unless the graph needs a later one (Debian's
/// libonnx 1.12 checks up to 17).
inline constexpr int kExportOpset = 13;
/// The opset export writes for a graph with LayerNorm (LayerNormalization
/// exists from opset 17).
inline constexpr int kLayerNormOpset = 17;
/// The opsets import reads.
inline constexpr int kMinImportOpset = 11;
inline constexpr int kMaxImportOpset = 17;
/// TensorProto doc_string that marks a tapeflow constant (not trainable).
inline constexpr const char* kConstantDoc = "tapeflow:constant";

/// True when this build can read and write ONNX files.
bool available();

struct ExportOptions {
  std::string producerVersion;                    ///< e.g. "0.1.0"
  std::map<std::string, std::string> metadata;    ///< metadata_props
};

/// Param values by name, row-major float32 (every param of the program).
using ParamValues = std::map<std::string, std::vector<float>>;

/// The opset exportModel writes for `program`: kExportOpset, or
/// kLayerNormOpset when a node the prediction depends on is a LayerNorm.
int exportOpset(const Program& program);

/// Serialises the inference graph of `program` with `values` as
/// initializers, runs the full check (checkModel) on the result
/// and returns the bytes. Throws GraphError for a graph without prediction,
/// UnsupportedError for an op (or attribute value) with no ONNX form at that
/// opset, naming the node, and UsageError for a missing param value.
std::string exportModel(const Program& program, const ParamValues& values,
                        const ExportOptions& options);

/// Runs the full ONNX check on serialised bytes: onnx::checker::check_model
/// then strict shape inference with type checks (what Python's
/// check_model(full_check=True) does); throws ParseError naming `fileName`
/// and the checker's message.
void checkModel(const std::string& bytes, const std::string& fileName);

struct ImportOptions {
  /// "" (inference graph only) or "softmax_cross_entropy": appends a label
  /// input, a SoftmaxCrossEntropy loss and an Accuracy metric.
  std::string addLoss;
  std::string labelName = "label";
  /// true: every param carries its data inline. false: trainable params get
  /// an initializer kind (xavier_uniform for rank >= 2, zeros otherwise) and
  /// their values go to `tensors` only; constants stay inline.
  bool inlineData = true;
};

/// One imported weight, by tapeflow param name.
struct ImportedTensor {
  std::string name;
  Dims dims;
  std::vector<float> data;
  bool trainable = true;
};

struct ImportResult {
  Graph graph;
  std::vector<ImportedTensor> tensors;  ///< every param, in graph order
  int opset = 0;
  std::string producer;  ///< producer_name and producer_version
};

/// Maps an ONNX model (serialised ModelProto bytes read from `fileName`) to
/// a tapeflow graph. Throws ParseError for bytes that are not a ModelProto,
/// UnsupportedError for an op, attribute, dtype, opset, external data or
/// dynamic shape it cannot map (one line naming node, op, attribute and
/// opset), and the errors of Program::build for a graph that does not
/// validate.
ImportResult importModel(const std::string& bytes, const std::string& fileName,
                         const ImportOptions& options);

}  // namespace tapeflow::onnxio
