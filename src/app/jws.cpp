#include "app/jws.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <memory>
#include <vector>

namespace waiver::app {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using Digest = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

constexpr int kMinRsaBits = 2048;
constexpr std::size_t kP256Bytes = 32;

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string member(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::string> decoded_member(const json& key, const char* name) {
  const std::string text = member(key, name);
  if (text.empty()) return std::nullopt;
  return base64url_decode(text);
}

Bignum bignum(const std::string& big_endian) {
  return Bignum(BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr));
}

Key key_from(const char* type, OSSL_PARAM_BLD* builder) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  KeyContext ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return Key(raw);
}

tl::expected<Key, std::string> rsa_key(const json& jwk) {
  auto n = decoded_member(jwk, "n");
  auto e = decoded_member(jwk, "e");
  if (!n || !e) return tl::unexpected(std::string("the RSA key lacks n or e"));
  Bignum bn_n = bignum(*n), bn_e = bignum(*e);
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return tl::unexpected(std::string("the RSA key cannot be read"));
  Key key = key_from("RSA", builder.get());
  if (!key) return tl::unexpected(std::string("the RSA key cannot be read"));
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits)
    return tl::unexpected(std::string("the RSA key is too short"));
  return key;
}

tl::expected<Key, std::string> p256_key(const json& jwk) {
  auto x = decoded_member(jwk, "x");
  auto y = decoded_member(jwk, "y");
  if (member(jwk, "crv") != "P-256" || !x || !y || x->size() != kP256Bytes || y->size() != kP256Bytes)
    return tl::unexpected(std::string("the EC key is not a P-256 key"));
  const std::string point = std::string(1, '\x04') + *x + *y;  // uncompressed
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) !=
          1)
    return tl::unexpected(std::string("the EC key cannot be read"));
  Key key = key_from("EC", builder.get());
  if (!key) return tl::unexpected(std::string("the EC key is not a point of P-256"));
  return key;
}

// JWS writes an ECDSA signature as r || s; OpenSSL reads DER.
std::optional<std::string> ecdsa_der(const std::string& raw) {
  if (raw.size() != 2 * kP256Bytes) return std::nullopt;
  EcdsaSig sig(ECDSA_SIG_new());
  Bignum r = bignum(raw.substr(0, kP256Bytes)), s = bignum(raw.substr(kP256Bytes));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

// Whether `key` is one that may verify a token signed with `alg`.
bool usable(const json& key, const std::string& alg) {
  if (!key.is_object()) return false;
  const std::string kty = member(key, "kty");
  if (alg == "RS256" && kty != "RSA") return false;
  if (alg == "ES256" && (kty != "EC" || member(key, "crv") != "P-256")) return false;
  if (key.contains("use") && member(key, "use") != "sig") return false;
  if (key.contains("alg") && member(key, "alg") != alg) return false;
  if (auto ops = key.find("key_ops"); ops != key.end()) {
    if (!ops->is_array()) return false;
    bool verify = false;
    for (const auto& op : *ops) verify = verify || op == "verify";
    if (!verify) return false;
  }
  return true;
}

}  // namespace

std::string base64url_encode(std::string_view in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &size, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(size);
  return out;
}

bool supported_algorithm(const std::string& alg) { return alg == "RS256" || alg == "ES256"; }

tl::expected<Jws, std::string> parse_jws(const std::string& compact) {
  const auto first = compact.find('.');
  const auto second = first == std::string::npos ? first : compact.find('.', first + 1);
  if (second == std::string::npos || compact.find('.', second + 1) != std::string::npos)
    return tl::unexpected(std::string("the token is not a signed JWT (three parts)"));
  auto header = base64url_decode(std::string_view(compact).substr(0, first));
  auto payload = base64url_decode(std::string_view(compact).substr(first + 1, second - first - 1));
  auto signature = base64url_decode(std::string_view(compact).substr(second + 1));
  if (!header || !payload || !signature) return tl::unexpected(std::string("the token is not base64url"));
  Jws out;
  out.header = json::parse(*header, nullptr, false);
  out.payload = json::parse(*payload, nullptr, false);
  if (!out.header.is_object() || !out.payload.is_object())
    return tl::unexpected(std::string("the token's header or claims are not a JSON object"));
  out.signing_input = compact.substr(0, second);
  out.signature = std::move(*signature);
  return out;
}

KeyLookup find_key(const json& jwks, const Jws& jws, json& key) {
  const std::string alg = member(jws.header, "alg");
  auto keys = jwks.find("keys");
  if (!jwks.is_object() || keys == jwks.end() || !keys->is_array()) return KeyLookup::no_key;
  if (jws.header.contains("kid")) {
    const std::string kid = member(jws.header, "kid");
    for (const auto& k : *keys)
      if (k.is_object() && k.contains("kid") && member(k, "kid") == kid) {
        if (!usable(k, alg)) return KeyLookup::no_key;
        key = k;
        return KeyLookup::found;
      }
    return KeyLookup::unknown_kid;
  }
  const json* only = nullptr;
  for (const auto& k : *keys)
    if (usable(k, alg)) {
      if (only) return KeyLookup::no_key;  // ambiguous without a kid
      only = &k;
    }
  if (!only) return KeyLookup::unknown_kid;
  key = *only;
  return KeyLookup::found;
}

tl::expected<void, std::string> verify_signature(const Jws& jws, const json& key) {
  struct ClearErrors {  // a refused key or signature leaves reasons in this thread's OpenSSL queue
    ~ClearErrors() { ERR_clear_error(); }
  } clear_errors;
  const std::string alg = member(jws.header, "alg");
  if (!supported_algorithm(alg)) return tl::unexpected("the signing algorithm '" + alg + "' is not accepted");
  if (!usable(key, alg)) return tl::unexpected("the provider's key does not match the algorithm " + alg);
  auto pkey = alg == "RS256" ? rsa_key(key) : p256_key(key);
  if (!pkey) return tl::unexpected(pkey.error());
  std::string signature = jws.signature;
  if (alg == "ES256") {
    auto der = ecdsa_der(signature);
    if (!der) return tl::unexpected(std::string("the signature is not valid"));
    signature = std::move(*der);
  }
  Digest md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey->get()) != 1)
    return tl::unexpected(std::string("the signature cannot be checked"));
  if (EVP_DigestVerify(md.get(), bytes(signature), signature.size(), bytes(jws.signing_input),
                       jws.signing_input.size()) != 1)
    return tl::unexpected(std::string("the signature is not valid"));
  return {};
}

}  // namespace waiver::app
