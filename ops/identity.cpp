// ops/identity.cpp - Identity: dst = src (ONNX Identity)
//   d src = d dst
// NOTE: a plain copy (the dims-only body of Reshape); it exists so that
// imported graphs map one to one.
#include "ops/internal/reshape_common.h"

namespace tapeflow::ops {

const OpDef& identityOp() {
  static const OpDef def = [] {
    OpDef d("Identity");
    d.input("src").output("dst")
        .shapes([](ShapeContext& ctx) { ctx.setOutput(0, ctx.inputDims(0)); })
        .doc("dst = src (ONNX Identity)")
        .samples([] {
          SampleCase a;
          a.label = "2x3x4x4";
          a.inputs = {{2, 3, 4, 4}};
          SampleCase b;
          b.label = "13";  // 13: not a multiple of 8
          b.inputs = {{13}};
          return std::vector<SampleCase>{a, b};
        });
    return withReshapePhases(d);
  }();
  return def;
}

}  // namespace tapeflow::ops
