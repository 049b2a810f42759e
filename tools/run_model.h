// tools/run_model.h - the graph that travels with a run: every checkpoint
// stores it (CheckpointData::graphText) and the run directory holds it as
// model.pbtxt, so `train --resume DIR`, `eval --checkpoint F` and `predict
// --checkpoint F` need no --model.
#pragma once

#include <memory>
#include <string>

#include "core/program.h"
#include "tools/cli.h"
#include "train/checkpoint.h"
#include "train/resume_recipe.h"
#include "train/trainer.h"

namespace tapeflow::cli {

/// A command's graph and where it came from ("quad.pbtxt", "the graph
/// stored in runs/quad-1/ckpt-6.tfck"), for messages.
struct RunModel {
  std::shared_ptr<const Program> program;
  std::string source;
};

/// Sets o->graphText (stored in the checkpoints, without param values) and
/// o->graphFile (model.pbtxt of the run directory, the whole graph).
void setRunGraph(const Program& program, TrainOptions* o);

/// Parses and builds graph text; `where` names it in locations.
std::shared_ptr<const Program> programFromText(const std::string& text, const std::string& where);

/// Builds the graph text stored in `checkpoint` (ParseError, GraphError ...
/// located in "CHECKPOINT (stored graph)"); UsageError naming --model when
/// the checkpoint stores none.
std::shared_ptr<const Program> storedProgram(const std::string& graphText,
                                             const std::string& checkpoint);

/// eval and predict: --model FILE when given (the checkpoint's params are
/// checked against it as before), else the graph stored in `ck`, read from
/// `path` (needed only without --model).
RunModel checkpointModel(const Args& a, const CheckpointData* ck, const std::string& path);

/// train --resume DIR (rank 0): --model FILE, whose fingerprint must be the
/// one the run's latest checkpoint holds (UsageError naming both); else the
/// graph stored in that checkpoint; else DIR/model.pbtxt; else UsageError
/// asking for --model.
RunModel resumedModel(const Args& a, const StoredRun& run, const std::string& dir);

}  // namespace tapeflow::cli
