// Signed checkpoints of the audit chain: Ed25519 (libsodium) over a short text naming the event
// count, the head hash and the time. A copy of the database alone cannot forge one, so a chain
// rewritten with every hash recomputed is caught by the checkpoints it no longer passes through.
#pragma once
#include <optional>
#include <string>

#include "app/error.hpp"
#include "app/ports.hpp"

namespace waiver::app {

struct SigningKey {
  std::string secret;      // libsodium's 64-byte secret key (seed and public key), raw
  std::string public_key;  // hex
};

struct NewSigningKey {
  std::string file_text;   // what the key file holds: the 32-byte seed in hex, one line
  std::string public_key;  // hex
};

NewSigningKey generate_signing_key();

// The key file holds the 32-byte Ed25519 seed in hex (as `waiver audit keygen` writes it), or
// the 64-byte libsodium secret key in hex, or a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`).
tl::expected<SigningKey, std::string> parse_signing_key(const std::string& file_text);
tl::expected<SigningKey, std::string> read_signing_key(const std::string& path);

// A public key as 64 hex digits, base64 of its 32 bytes, or an SPKI PEM (`openssl pkey -pubout`);
// or the name of a file holding one of those. Returns it as hex.
tl::expected<std::string, std::string> parse_public_key(const std::string& text_or_file);

// The public key as an SPKI PEM, for `openssl pkeyutl -verify`.
std::string public_key_pem(const std::string& public_key_hex);

// The exact bytes signed:
//   waiver-audit-checkpoint v1\nevents: N\nhead: HEX\nat: 2026-11-27T22:00:00Z\n
std::string checkpoint_message(const AuditCheckpoint& c);

AuditCheckpoint sign_checkpoint(std::int64_t events, const std::string& head, Instant at,
                                const SigningKey& key);

// Whether `c.signature` is a valid signature of `c` by `public_key_hex` (not by c.public_key:
// the stored key is only a hint, the verifier brings the key it trusts).
bool checkpoint_signature_valid(const AuditCheckpoint& c, const std::string& public_key_hex);

// Signs the chain's head as it stands. With `only_if_grown_after_seconds`, does nothing (returns
// nullopt) unless the chain has grown since the last checkpoint and that one is at least so old.
// Instances take turns (the jobs lock), so two never sign the same head at once.
Outcome<std::optional<AuditCheckpoint>> make_checkpoint(
    Store& store, const SigningKey& key, Instant now,
    std::optional<std::int64_t> only_if_grown_after_seconds);

std::string to_hex(const std::string& raw);

}  // namespace waiver::app
