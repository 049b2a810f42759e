// tools/main.cpp - the tapeflow command-line program.
#include <cstdio>

int main(int argc, char** argv) {
  std::puts("tapeflow");
  return 0;
}
