// frontends/onnx/onnx_unavailable.cpp - the ONNX entry points of a build
// configured without libonnx-dev (TAPEFLOW_WITH_ONNX off): each says so.
#include "frontends/onnx/onnx_io.h"

namespace tapeflow::onnxio {
namespace {

[[noreturn]] void unavailable() {
  throw UnsupportedError({}, "", "",
                         "this tapeflow was built without ONNX support (libonnx-dev was "
                         "not found at configure time; install it and reconfigure)");
}

}  // namespace

bool available() { return false; }

int exportOpset(const Program&) { unavailable(); }

std::string exportModel(const Program&, const ParamValues&, const ExportOptions&) {
  unavailable();
}

void checkModel(const std::string&, const std::string&) { unavailable(); }

ImportResult importModel(const std::string&, const std::string&, const ImportOptions&) {
  unavailable();
}

}  // namespace tapeflow::onnxio
