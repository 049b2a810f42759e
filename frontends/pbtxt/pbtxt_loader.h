// frontends/pbtxt/pbtxt_loader.h - reads and writes graph files: the text
// form (.pbtxt) users write and the binary protobuf form (.pb).
//
// The schema is frontends/pbtxt/graph.proto. The loader only checks what the
// file format itself promises (syntax, field types, enum values, one value
// per attribute, no attribute given twice, UTF-8 strings, a format_version
// this runtime reads); graph semantics (names resolve, ops exist, shapes
// agree) are checked later by Program::build.
//
// Locations: every InputDef, ParamDef, Initializer, Node, attribute, node
// input/output entry, graph output, loss and prediction carries the 1-based
// line:col of the text that declared it. Messages point at their field name
// (`node {`), or at their `{` when written in list form (`node: [{...}]`);
// value names point at the value itself (`"conv1"`), also inside lists.
// Columns count bytes, with a tab advancing to the next multiple of 8, as
// protobuf does. Graph::loc is the file itself (line 0). Graphs read from
// binary files have no line information (line 0 everywhere, empty
// inputLocs/outputLocs).
#pragma once

#include <cstdint>
#include <string>

#include "core/graph.h"

namespace tapeflow {

/// Largest graph file the loader reads (either form); larger files and
/// endless streams are rejected before they are parsed.
inline constexpr uint64_t kMaxGraphFileBytes = uint64_t{256} << 20;

/// Loads a graph from .pbtxt (text) or .pb (binary); the format is picked by
/// the extension (".pb" = binary, anything else text). Throws IoError when
/// the file cannot be opened or read (missing, a directory, no permission)
/// and ParseError for a malformed or oversized file. An empty file (or one
/// holding only comments) gives an empty Graph; validation rejects it.
Graph loadGraphFile(const std::string& path);

/// Parses the text form. fileName is used in locations and messages only.
Graph parseGraphText(const std::string& text, const std::string& fileName);

/// Parses the binary form. fileName is used in messages only.
Graph parseGraphBinary(const std::string& bytes, const std::string& fileName);

/// Writes the text form: parseGraphText(graphToText(g)) equals g except for
/// locations and the file name.
std::string graphToText(const Graph& g);

/// graphToText without param values: params given by `data` are written
/// with their initializer instead (a graph whose values are stored
/// elsewhere, as in a checkpoint). The structure, and so the checkpoint
/// fingerprint, is unchanged.
std::string graphStructureText(const Graph& g);

/// Writes the binary form to path atomically (core/atomic_file.h: a
/// temporary file renamed into place, so a failed save leaves any old file
/// intact). Throws IoError on OS failures and UsageError for an attribute
/// holding an empty list, which the binary form cannot represent (the text
/// form can: `ints: []`).
void saveGraphBinary(const Graph& g, const std::string& path);

}  // namespace tapeflow
