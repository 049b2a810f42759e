// tools/main.cpp - `tapeflow <command> ...`: the error boundary (every
// tapeflow::Error becomes one line on stderr and its exit code).
#include <cstdio>
#include <exception>
#include <new>

#include "core/error.h"
#include "tools/cli.h"

int main(int argc, char** argv) {
  using namespace tapeflow;
  try {
    return cli::runCommandLine(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return static_cast<int>(e.exitCode());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tapeflow: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapeflow: internal error: %s\n", e.what());
    return 1;
  }
}
