// risctl: the command line for RIS (apps/risctl/main.cpp calls this).
#pragma once

namespace ris::cli {
int run(int argc, char** argv);
}
