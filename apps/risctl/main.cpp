#include "ris/cli/cli.hpp"

int main(int argc, char** argv) {
  return ris::cli::run(argc, argv);
}
