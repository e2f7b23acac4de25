// The `waiver` command: init, serve, import, export, token, user, jobs, audit, copy.
#pragma once

namespace waiver::cli {

// Exit status 0 on success; otherwise non-zero with a one-line reason on stderr.
int run(int argc, char** argv);

}  // namespace waiver::cli
