// `waiver audit keygen | checkpoint | verify | bundle`: signed checkpoints of the audit chain and
// the evidence archive for auditors.
#pragma once
#include <optional>
#include <string>

#include "app/services.hpp"
#include "cli/config.hpp"

namespace waiver::cli {

// Writes a new secret key to `out` (mode 0600, refusing to overwrite) and prints the public key.
int audit_keygen(const std::string& out);
// Signs the chain's head with the configured key and stores the checkpoint.
int audit_checkpoint(app::Services& services, const Config& config);
// Verifies the chain and that it passes through every stored checkpoint; with a public key, also
// every checkpoint's signature; with a checkpoints file (from an earlier bundle), through those too.
int audit_verify(app::Store& store, const std::optional<std::string>& public_key,
                 const std::optional<std::string>& checkpoints_file);
// Writes the evidence archive: a folder, or a .tar / .tar.gz file.
int audit_bundle(app::Services& services, const Config& config, const std::string& out,
                 const std::optional<std::string>& public_key);

}  // namespace waiver::cli
