#include "app/audit_checkpoints.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace waiver::app {
namespace {

// The fixed DER prefixes of an Ed25519 key: PKCS#8 (private, then the 32-byte seed) and SPKI
// (public, then the 32-byte key), RFC 8410.
const std::string kPkcs8Prefix = "302e020100300506032b657004220420";
const std::string kSpkiPrefix = "302a300506032b6570032100";

std::optional<std::string> from_hex(const std::string& hex) {
  std::string out(hex.size() / 2, '\0');
  std::size_t len = 0;
  if (hex.size() % 2 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 ||
      len != out.size())
    return std::nullopt;
  return out;
}

std::optional<std::string> from_base64(const std::string& b64) {
  std::string out(b64.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(), b64.size(),
                        " \t\r\n", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// The DER inside a PEM block with the given label, if `text` is one.
std::optional<std::string> pem_body(const std::string& text, const std::string& label) {
  const std::string begin = "-----BEGIN " + label + "-----", end = "-----END " + label + "-----";
  const auto b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return std::nullopt;
  return from_base64(text.substr(b + begin.size(), e - b - begin.size()));
}

tl::expected<SigningKey, std::string> from_seed(const std::string& seed) {
  SigningKey k;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  k.secret.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(pk, reinterpret_cast<unsigned char*>(k.secret.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  k.public_key = to_hex(std::string(reinterpret_cast<char*>(pk), sizeof pk));
  return k;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string to_hex(const std::string& raw) {
  std::string out(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  out.pop_back();
  return out;
}

NewSigningKey generate_signing_key() {
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed(seed);
  NewSigningKey out{to_hex(seed) + "\n", key->public_key};
  sodium_memzero(seed.data(), seed.size());
  return out;
}

tl::expected<SigningKey, std::string> parse_signing_key(const std::string& file_text) {
  if (auto der = pem_body(file_text, "PRIVATE KEY")) {
    const auto prefix = from_hex(kPkcs8Prefix);
    if (der->size() != prefix->size() + crypto_sign_SEEDBYTES ||
        der->compare(0, prefix->size(), *prefix) != 0)
      return tl::unexpected<std::string>("the PEM key is not an Ed25519 private key");
    return from_seed(der->substr(prefix->size()));
  }
  const auto raw = from_hex(trimmed(file_text));
  if (raw && raw->size() == crypto_sign_SEEDBYTES) return from_seed(*raw);
  if (raw && raw->size() == crypto_sign_SECRETKEYBYTES)
    return from_seed(raw->substr(0, crypto_sign_SEEDBYTES));
  return tl::unexpected<std::string>(
      "the key file must hold an Ed25519 seed in hex (waiver audit keygen) or a PKCS#8 PEM");
}

tl::expected<SigningKey, std::string> read_signing_key(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return tl::unexpected<std::string>("cannot read the signing key " + path);
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return tl::unexpected<std::string>("the signing key " + path +
                                       " is readable by others: chmod 600 it (only its owner may read it)");
  auto k = parse_signing_key(read_text(path));
  if (!k) return tl::unexpected<std::string>(path + ": " + k.error());
  return k;
}

tl::expected<std::string, std::string> parse_public_key(const std::string& text_or_file) {
  std::string text = text_or_file;
  struct stat st {};
  if (stat(text_or_file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) text = read_text(text_or_file);
  std::optional<std::string> raw;
  if (auto der = pem_body(text, "PUBLIC KEY")) {
    const auto prefix = from_hex(kSpkiPrefix);
    if (der->size() == prefix->size() + crypto_sign_PUBLICKEYBYTES &&
        der->compare(0, prefix->size(), *prefix) == 0)
      raw = der->substr(prefix->size());
  } else {
    text = trimmed(text);
    raw = from_hex(text);
    if (!raw || raw->size() != crypto_sign_PUBLICKEYBYTES) raw = from_base64(text);
  }
  if (!raw || raw->size() != crypto_sign_PUBLICKEYBYTES)
    return tl::unexpected<std::string>(
        "the public key must be 64 hex digits, base64 of 32 bytes or an Ed25519 PEM (or a file holding one)");
  return to_hex(*raw);
}

std::string public_key_pem(const std::string& public_key_hex) {
  const auto der = *from_hex(kSpkiPrefix + public_key_hex);
  std::string b64(sodium_base64_ENCODED_LEN(der.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.find('\0'));
  return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
}

std::string checkpoint_message(const AuditCheckpoint& c) {
  return "waiver-audit-checkpoint v1\nevents: " + std::to_string(c.events) + "\nhead: " + c.head +
         "\nat: " + domain::format_instant(c.at) + "\n";
}

AuditCheckpoint sign_checkpoint(std::int64_t events, const std::string& head, Instant at,
                                const SigningKey& key) {
  AuditCheckpoint c{0, events, head, at, key.public_key, {}};
  const std::string message = checkpoint_message(c);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(key.secret.data()));
  c.signature = to_hex(std::string(reinterpret_cast<char*>(sig), sizeof sig));
  return c;
}

bool checkpoint_signature_valid(const AuditCheckpoint& c, const std::string& public_key_hex) {
  const auto sig = from_hex(c.signature);
  const auto pk = from_hex(public_key_hex);
  if (!sig || sig->size() != crypto_sign_BYTES || !pk || pk->size() != crypto_sign_PUBLICKEYBYTES)
    return false;
  const std::string message = checkpoint_message(c);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(pk->data())) == 0;
}

Outcome<std::optional<AuditCheckpoint>> make_checkpoint(
    Store& store, const SigningKey& key, Instant now,
    std::optional<std::int64_t> only_if_grown_after_seconds) {
  auto uow = store.begin_write();
  uow->lock_jobs();
  const auto head = uow->audit_head();
  if (only_if_grown_after_seconds) {
    const auto all = uow->checkpoints();
    if (!all.empty() && (head.events <= all.back().events ||
                         now.seconds - all.back().at.seconds < *only_if_grown_after_seconds))
      return std::optional<AuditCheckpoint>{};
    if (all.empty() && head.events == 0) return std::optional<AuditCheckpoint>{};
  }
  auto c = sign_checkpoint(head.events, head.hash, now, key);
  c.id = uow->add_checkpoint(c);
  uow->commit();
  return std::optional<AuditCheckpoint>(c);
}

}  // namespace waiver::app
