// Wiring only: the command line decides what runs.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return waiver::cli::run(argc, argv); }
