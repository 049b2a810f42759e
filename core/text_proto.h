// core/text_proto.h - reading protobuf text files (graph files, solver
// files) with messages in our style: file:line:col, protobuf's syntax errors
// reworded and moved onto the word they are about, "did you mean" for
// unknown fields, a size cap, a recursion limit, and NUL/UTF-8 checks.
//
// Positions: protobuf counts lines and columns from 0, one column per byte
// and a tab advancing to the next multiple of 8; SourceLoc is 1-based.
#pragma once

#include "core/error.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapeflow::text_proto {

using ParseInfoTree = ::google::protobuf::TextFormat::ParseInfoTree;

/// User strings quoted in messages are cut to this many bytes.
inline constexpr size_t kMaxQuoted = 64;

/// `s` cut to kMaxQuoted bytes, with "..." when it was longer.
std::string clip(const std::string& s);
/// `'s'`, clipped.
std::string quoted(const std::string& s);

/// Advances a 0-based line:col over byte `c` (protobuf's column rule).
void advancePos(char c, int& line, int& col);

/// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool validUtf8(std::string_view s);

/// Throws ParseError at `loc` ("<what> contains a NUL character", "<what>
/// is not valid UTF-8") when `s` holds a NUL or is not valid UTF-8.
void checkString(const std::string& s, const SourceLoc& loc,
                 const std::string& what, const std::string& node = "",
                 const std::string& op = "");

/// Where field `f` was written inside the message `tree` describes (its
/// name, or its `{` in list form): the first occurrence of a repeated field,
/// `fallback` when the tree is null or does not have it.
SourceLoc fieldLoc(const ParseInfoTree* tree,
                   const ::google::protobuf::FieldDescriptor* f,
                   const std::string& fileName, const SourceLoc& fallback);

/// The messages of readFileCapped; each I/O message is followed by ": " and
/// strerror.
struct ReadSpec {
  uint64_t maxBytes = 0;
  /// ParseError when the file is larger than maxBytes, followed by
  /// ", found <N> bytes" or ", found more (the file grew or never ends)".
  std::string tooLarge;
  std::string cannotOpen = "cannot open";
  std::string cannotStat = "cannot stat";
  std::string isDirectory = "cannot read";  ///< followed by EISDIR's text
  std::string readFailed = "read failed";
};

/// Reads a whole file, refusing directories and anything over
/// spec.maxBytes (by its size when known, else while reading, so endless
/// streams stop). Throws IoError for OS failures, ParseError when too large.
std::string readFileCapped(const std::string& path, const ReadSpec& spec);

/// How parseText words the failures the file kind decides.
struct ParseSpec {
  /// Guards the parser's own recursion ("nesting too deep (limit N)").
  int recursionLimit = 100;
  /// After "unexpected NUL byte: ": what the file should be instead.
  std::string nulHint;
  /// When protobuf fails without reporting an error.
  std::string cannotParse;
  /// Unknown fields as "<Type> has no field named 'x'" (true) or
  /// "unknown field 'x'" (false); both add "(did you mean 'y'?)" when a
  /// field is within 2 edits and "; known fields: a, b, ...".
  bool namesMessageType = true;
};

/// Parses `text` into `msg`, recording field locations into `tree` (may be
/// null). Throws ParseError at file:line:col for a NUL byte and for the
/// first syntax or schema error protobuf reports, reworded: unknown fields
/// with suggestions and the known names, unknown enum values with the
/// allowed ones, a non-repeated field given twice, "found <token>" or "found
/// end of file".
void parseText(const std::string& text, const std::string& fileName,
               const ParseSpec& spec, ::google::protobuf::Message* msg,
               ParseInfoTree* tree);

}  // namespace tapeflow::text_proto
