// Single sign-on without a network: a fake provider (discovery, keys, token and userinfo
// endpoints behind the web client port) signing ID tokens with keys made here by OpenSSL. The
// ID token's checks one by one, PKCE, then the whole sign-in against a real SQLite store.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <map>
#include <memory>

#include "app/jws.hpp"
#include "app/oidc.hpp"
#include "app/oidc_sign_in.hpp"
#include "app/secrets.hpp"
#include "store/sql_store.hpp"
#include "testing/support.hpp"

namespace waiver::app {
namespace {

using K = Error::Kind;

const auto* const kSodium = ::testing::AddGlobalTestEnvironment(new waiver::testing::SodiumEnvironment);

constexpr const char* kIssuer = "https://idp.example.test";
constexpr const char* kClient = "waiver";
constexpr const char* kSecret = "s3cret:with/odd chars";
constexpr const char* kRedirect = "https://waiver.example.test/api/v1/oidc/callback";
constexpr const char* kNonce = "n-0S6_WzA2Mj";

// ---- keys and tokens made here ------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

class TestKey {
 public:
  static TestKey rsa(std::string kid) { return TestKey(EVP_RSA_gen(2048), std::move(kid), "RS256"); }
  static TestKey p256(std::string kid) { return TestKey(EVP_EC_gen("P-256"), std::move(kid), "ES256"); }

  const std::string& kid() const { return kid_; }

  json jwk() const {
    if (alg_ == "RS256")
      return {{"kty", "RSA"},
              {"kid", kid_},
              {"use", "sig"},
              {"alg", "RS256"},
              {"n", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
              {"e", base64url_encode(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E))}};
    unsigned char point[65];
    std::size_t size = 0;
    EXPECT_EQ(
        EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &size), 1);
    const std::string p(reinterpret_cast<char*>(point), size);
    return {{"kty", "EC"},
            {"kid", kid_},
            {"crv", "P-256"},
            {"x", base64url_encode(p.substr(1, 32))},
            {"y", base64url_encode(p.substr(33, 32))}};
  }

  // A compact JWS of `claims`, signed by this key; `header` entries replace the defaults.
  std::string sign(const json& claims, const json& header = json::object()) const {
    json h{{"alg", alg_}, {"typ", "JWT"}, {"kid", kid_}};
    h.update(header);
    const std::string input = base64url_encode(h.dump()) + "." + base64url_encode(claims.dump());
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EXPECT_EQ(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key_.get()), 1);
    std::size_t size = 0;
    EXPECT_EQ(EVP_DigestSign(md.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()),
              1);
    std::string sig(size, '\0');
    EXPECT_EQ(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    sig.resize(size);
    if (alg_ == "ES256") sig = raw_ecdsa(sig);
    return input + "." + base64url_encode(sig);
  }

 private:
  TestKey(EVP_PKEY* key, std::string kid, std::string alg)
      : key_(key), kid_(std::move(kid)), alg_(std::move(alg)) {
    EXPECT_NE(key, nullptr);
  }

  // DER to the r || s that JWS writes.
  static std::string raw_ecdsa(const std::string& der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    std::string out(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return out;
  }

  std::unique_ptr<EVP_PKEY, PkeyFree> key_;
  std::string kid_;
  std::string alg_;
};

std::string hs256(const json& claims, const std::string& secret) {
  const std::string input =
      base64url_encode(json{{"alg", "HS256"}, {"typ", "JWT"}}.dump()) + "." + base64url_encode(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), size));
}

// ---- a provider behind the web client port ------------------------------------------------------

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> form_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('&', start), text.size());
    const std::string pair = text.substr(start, end - start);
    const auto eq = pair.find('=');
    if (!pair.empty())
      out[percent_decode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

class FakeProvider final : public WebClient {
 public:
  json discovery{{"issuer", kIssuer},
                 {"authorization_endpoint", std::string(kIssuer) + "/auth"},
                 {"token_endpoint", std::string(kIssuer) + "/token"},
                 {"jwks_uri", std::string(kIssuer) + "/jwks"},
                 {"userinfo_endpoint", std::string(kIssuer) + "/me"},
                 {"code_challenge_methods_supported", {"S256"}},
                 {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}}};
  json jwks{{"keys", json::array()}};
  std::string id_token;  // what the token endpoint answers
  std::string access_token = "at-1";
  json userinfo = json::object();
  int token_status = 200;
  std::map<std::string, int> calls;  // path -> count
  WebRequest last_token_request;

  WebResponse send(const WebRequest& r) override {
    const std::string path = r.url.substr(std::string(kIssuer).size());
    ++calls[path];
    if (path == "/.well-known/openid-configuration") return {200, discovery.dump(), ""};
    if (path == "/jwks") return {200, jwks.dump(), ""};
    if (path == "/token") {
      last_token_request = r;
      if (token_status != 200) return {token_status, R"({"error":"invalid_grant"})", ""};
      return {200,
              json{{"id_token", id_token}, {"access_token", access_token}, {"token_type", "Bearer"}}.dump(),
              ""};
    }
    if (path == "/me") return {200, userinfo.dump(), ""};
    return {404, "", ""};
  }
};

const Instant kNow = *domain::parse_instant("2026-03-01T09:00:00Z");

json good_claims(const std::string& email = "ana@x.test") {
  return {{"iss", kIssuer},          {"sub", "u-123"},  {"aud", kClient}, {"exp", kNow.seconds + 300},
          {"iat", kNow.seconds - 5}, {"nonce", kNonce}, {"email", email}, {"email_verified", true},
          {"name", "Ana Diaz"}};
}

class IdToken : public ::testing::Test {
 protected:
  IdToken() { provider_.jwks["keys"].push_back(key_.jwk()); }

  Outcome<json> check(const std::string& token, const std::string& nonce = kNonce) {
    return client_.verify_id_token(kNow, token, nonce);
  }
  void expect_refused(const std::string& token, const std::string& why) {
    auto r = check(token);
    ASSERT_FALSE(r) << "accepted a token that should be refused: " << why;
    EXPECT_EQ(r.error().kind, K::unauthorized);
    EXPECT_NE(r.error().detail.find(why), std::string::npos) << r.error().detail;
  }

  TestKey key_ = TestKey::rsa("k1");
  FakeProvider provider_;
  OidcClient client_{{kIssuer, kClient, kSecret, kRedirect}, provider_};
};

// ---- the ID token -------------------------------------------------------------------------------

TEST_F(IdToken, AGoodTokenIsAcceptedWithItsClaims) {
  auto claims = check(key_.sign(good_claims()));
  ASSERT_TRUE(claims) << claims.error().detail;
  EXPECT_EQ((*claims)["email"], "ana@x.test");
  EXPECT_EQ(provider_.calls["/jwks"], 1);
  ASSERT_TRUE(check(key_.sign(good_claims())));
  EXPECT_EQ(provider_.calls["/jwks"], 1) << "the key set is cached";
  EXPECT_EQ(provider_.calls["/.well-known/openid-configuration"], 1) << "discovery is cached";
}

TEST_F(IdToken, Es256IsAcceptedToo) {
  const TestKey ec = TestKey::p256("ec1");
  provider_.jwks["keys"].push_back(ec.jwk());
  auto claims = check(ec.sign(good_claims()));
  ASSERT_TRUE(claims) << claims.error().detail;
  json tampered = good_claims("eve@x.test");
  const std::string good = ec.sign(good_claims());
  const std::string forged =
      good.substr(0, good.find('.') + 1) + base64url_encode(tampered.dump()) + good.substr(good.rfind('.'));
  expect_refused(forged, "signature");
}

TEST_F(IdToken, AnotherAudienceIsRefused) {
  json c = good_claims();
  c["aud"] = "another-client";
  expect_refused(key_.sign(c), "another client");
  c["aud"] = json::array({"another-client", kClient});  // several audiences: azp must name us
  expect_refused(key_.sign(c), "azp");
  c["azp"] = "another-client";
  expect_refused(key_.sign(c), "azp");
  c["azp"] = kClient;
  EXPECT_TRUE(check(key_.sign(c)));
}

TEST_F(IdToken, ATamperedPayloadIsRefused) {
  const std::string good = key_.sign(good_claims());
  const std::string forged = good.substr(0, good.find('.') + 1) +
                             base64url_encode(good_claims("eve@x.test").dump()) +
                             good.substr(good.rfind('.'));
  expect_refused(forged, "signature is not valid");
}

TEST_F(IdToken, AKeyOfAnotherPairIsRefused) {
  const TestKey impostor = TestKey::rsa("k1");  // same key id, other key
  expect_refused(impostor.sign(good_claims()), "signature is not valid");
  const TestKey stranger = TestKey::rsa("k9");  // a key id the provider never published
  expect_refused(stranger.sign(good_claims()), "no key of the provider");
  EXPECT_EQ(provider_.calls["/jwks"], 2) << "an unknown key id fetches the key set once more, not in a loop";
}

TEST_F(IdToken, ANewKeyIdFetchesTheKeySetAgain) {
  ASSERT_TRUE(check(key_.sign(good_claims())));
  const TestKey rotated = TestKey::rsa("k2");
  provider_.jwks["keys"] = json::array({rotated.jwk()});
  auto claims = check(rotated.sign(good_claims()));
  EXPECT_TRUE(claims) << claims.error().detail;
  EXPECT_EQ(provider_.calls["/jwks"], 2);
}

TEST_F(IdToken, ExpiredIsRefusedWithinALeeway) {
  json c = good_claims();
  c["exp"] = kNow.seconds - 61;
  expect_refused(key_.sign(c), "expired");
  c["exp"] = kNow.seconds - 30;  // clock skew
  EXPECT_TRUE(check(key_.sign(c)));
  c.erase("exp");
  expect_refused(key_.sign(c), "expired");
}

TEST_F(IdToken, AnImplausibleIssueTimeIsRefused) {
  json c = good_claims();
  c["iat"] = kNow.seconds + 3600;
  expect_refused(key_.sign(c), "iat");
  c["iat"] = kNow.seconds - 2LL * 3600;
  expect_refused(key_.sign(c), "iat");
  c["iat"] = "yesterday";
  expect_refused(key_.sign(c), "iat");
}

TEST_F(IdToken, AnotherIssuerIsRefused) {
  json c = good_claims();
  c["iss"] = "https://evil.example.test";
  expect_refused(key_.sign(c), "another issuer");
}

TEST_F(IdToken, AnotherNonceIsRefused) {
  auto r = check(key_.sign(good_claims()), "the-nonce-of-another-sign-in");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("nonce"), std::string::npos);
  json c = good_claims();
  c.erase("nonce");
  expect_refused(key_.sign(c), "nonce");
}

TEST_F(IdToken, NoneAndHs256AreRefused) {
  const std::string unsigned_token =
      base64url_encode(json{{"alg", "none"}}.dump()) + "." + base64url_encode(good_claims().dump()) + ".";
  expect_refused(unsigned_token, "'none' is not accepted");
  // HS256 keyed with the provider's public modulus: the classic key-confusion forgery.
  const std::string modulus = *base64url_decode(key_.jwk()["n"].get<std::string>());
  expect_refused(hs256(good_claims(), modulus), "'HS256' is not accepted");
  expect_refused(key_.sign(good_claims(), {{"alg", "RS512"}}), "'RS512' is not accepted");
}

TEST_F(IdToken, MalformedTokensAreRefused) {
  expect_refused("", "cannot be read");
  expect_refused("a.b", "cannot be read");
  expect_refused("a.b.c.d", "cannot be read");
  expect_refused("e30.e30.", "not accepted");  // {}.{} unsigned, without even an alg
  expect_refused(key_.sign(good_claims(), {{"crit", {"exp"}}}), "crit");
}

TEST_F(IdToken, AKeyMadeForAnotherAlgorithmIsRefused) {
  provider_.jwks["keys"][0]["alg"] = "RS512";
  expect_refused(key_.sign(good_claims()), "no key");
}

TEST_F(IdToken, AnAccessTokenHashThatDoesNotMatchIsRefused) {
  json c = good_claims();
  c["at_hash"] = base64url_encode(std::string(16, 'x'));
  auto r = client_.verify_id_token(kNow, key_.sign(c), kNonce, "at-1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("at_hash"), std::string::npos);
}

// ---- PKCE and the authorization URL ----------------------------------------------------------

TEST(Pkce, TheChallengeIsRfc7636sExample) {
  EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const std::string verifier = random_url_token(32);
  EXPECT_EQ(verifier.size(), 43u);
  EXPECT_EQ(verifier.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(Base64url, RoundTripsAndRefusesOtherAlphabets) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("-_8="));
}

TEST(ReturnTo, OnlyLocalPaths) {
  for (const char* ok : {"/", "/exceptions/12", "/a?b=c#d"}) EXPECT_TRUE(is_local_path(ok)) << ok;
  for (const char* bad :
       {"", "exceptions", "//evil.test/x", "/\\evil.test", "https://evil.test/", "/a b", "/a\nb"})
    EXPECT_FALSE(is_local_path(bad)) << bad;
}

// ---- the whole sign-in against a real store ---------------------------------------------------

class FakeClock final : public Clock {
 public:
  Instant now() const override { return t; }
  Instant t = kNow;
};

class SignIn : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_.jwks["keys"].push_back(key_.jwk());
    provider_.userinfo = {{"sub", "u-123"}};
    json org{{"users",
              {{{"email", "ana@x.test"}, {"name", "Ana Diaz"}, {"department", "Engineering"}},
               {{"email", "off@x.test"}, {"name", "Off Boarded"}, {"department", "Engineering"}}}},
             {"departments", {{{"name", "Engineering"}, {"head", "ana@x.test"}}, {{"name", "Guests"}}}},
             {"policies", json::array()},
             {"matrix", {{"default", {{"first_approval", "department_head"}, {"max_days", 90}}}}}};
    auto imported = import_organisation(s_, org, "test");
    ASSERT_TRUE(imported) << imported.error().detail;
  }

  // Starts a sign-in and has the provider answer the code with a token of `claims` (and the
  // nonce of this sign-in). Returns the callback's outcome.
  Outcome<OidcSignedIn> sign_in(json claims, const OidcUserPolicy& policy = {},
                                const std::string& return_to = "/") {
    auto start = begin_oidc_sign_in(s_, client_, return_to);
    if (!start) return tl::unexpected(start.error());
    const auto url = start->redirect_url;
    auth_params_ = form_fields(url.substr(url.find('?') + 1));
    claims["nonce"] = auth_params_["nonce"];
    provider_.id_token = key_.sign(claims);
    state_ = start->state;
    return finish_oidc_sign_in(s_, client_, policy, {state_, "code-1", "", "", "127.0.0.1", ""});
  }

  std::vector<AuditRecord> user_events(const std::string& email) {
    std::vector<AuditRecord> out;
    for (const auto& e : store_->begin_read()->events_of("user", email)) out.push_back(e.record);
    return out;
  }

  waiver::testing::TempDir dir_{"waiver-oidc"};
  std::unique_ptr<Store> store_ = store::open_store(
      store::DatabaseUrl{store::DatabaseUrl::Engine::sqlite, dir_.file("oidc.db").string()});
  FakeClock clock_;
  Services s_{*store_, clock_, {}};
  TestKey key_ = TestKey::rsa("k1");
  FakeProvider provider_;
  OidcClient client_{{kIssuer, kClient, kSecret, kRedirect}, provider_};
  std::map<std::string, std::string> auth_params_;
  std::string state_;
};

TEST_F(SignIn, TheAuthorizationUrlCarriesStateNonceAndAnS256Challenge) {
  auto r = sign_in(good_claims(), {}, "/exceptions/7");
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(auth_params_["response_type"], "code");
  EXPECT_EQ(auth_params_["client_id"], kClient);
  EXPECT_EQ(auth_params_["redirect_uri"], kRedirect);
  EXPECT_EQ(auth_params_["scope"], "openid email profile");
  EXPECT_EQ(auth_params_["state"], state_);
  EXPECT_EQ(auth_params_["code_challenge_method"], "S256");
  // The token request proves the verifier behind the challenge, and authenticates the client.
  auto sent = form_fields(provider_.last_token_request.body);
  EXPECT_EQ(sent["grant_type"], "authorization_code");
  EXPECT_EQ(sent["code"], "code-1");
  EXPECT_EQ(sent["redirect_uri"], kRedirect);
  EXPECT_EQ(pkce_challenge(sent["code_verifier"]), auth_params_["code_challenge"]);
  EXPECT_EQ(sent.count("client_secret"), 0u);
  bool basic = false;
  for (const auto& [k, v] : provider_.last_token_request.headers)
    if (k == "Authorization") {
      basic = true;
      std::string decoded(v.size(), '\0');
      std::size_t n = 0;
      ASSERT_EQ(
          sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), v.data() + 6,
                            v.size() - 6, nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL),
          0);
      decoded.resize(n);
      EXPECT_EQ(decoded, "waiver:s3cret%3Awith%2Fodd%20chars");
    }
  EXPECT_TRUE(basic);
  EXPECT_EQ(r->return_to, "/exceptions/7");
  EXPECT_EQ(r->session.actor.email, "ana@x.test");
  auto caller = caller_for_session(s_, r->session.cookie_value);
  ASSERT_TRUE(caller) << caller.error().detail;
  EXPECT_EQ(caller->actor.email, "ana@x.test");
}

TEST_F(SignIn, ClientSecretPostWhenTheProviderTakesOnlyThat) {
  provider_.discovery["token_endpoint_auth_methods_supported"] = {"client_secret_post"};
  ASSERT_TRUE(sign_in(good_claims()));
  auto sent = form_fields(provider_.last_token_request.body);
  EXPECT_EQ(sent["client_id"], kClient);
  EXPECT_EQ(sent["client_secret"], kSecret);
}

TEST_F(SignIn, AStateIsUsedOnce) {
  ASSERT_TRUE(sign_in(good_claims()));
  auto again = finish_oidc_sign_in(s_, client_, {}, {state_, "code-1", "", "", "127.0.0.1", ""});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, K::unauthorized);
  auto unknown = finish_oidc_sign_in(s_, client_, {}, {random_hex(32), "code-1", "", "", "127.0.0.1", ""});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, K::unauthorized);
}

TEST_F(SignIn, AnOldStateIsRefused) {
  auto start = begin_oidc_sign_in(s_, client_, "/");
  ASSERT_TRUE(start);
  clock_.t.seconds += 601;
  auto r = finish_oidc_sign_in(s_, client_, {}, {start->state, "code-1", "", "", "127.0.0.1", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("too long"), std::string::npos);
}

TEST_F(SignIn, AProviderErrorIsRefusedAndAudited) {
  auto start = begin_oidc_sign_in(s_, client_, "/");
  ASSERT_TRUE(start);
  auto r = finish_oidc_sign_in(s_, client_, {}, {start->state, "", "access_denied", "", "10.0.0.1", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::unauthorized);
  EXPECT_EQ(provider_.calls["/token"], 0);
  auto events = user_events("");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "sign_in_failed");
  EXPECT_EQ(json::parse(events[0].data)["reason"], "the provider answered access_denied");
}

TEST_F(SignIn, AnAnswerNamingAnotherIssuerIsRefused) {
  auto start = begin_oidc_sign_in(s_, client_, "/");
  ASSERT_TRUE(start);
  auto r = finish_oidc_sign_in(s_, client_, {},
                               {start->state, "code-1", "", "https://evil.test", "127.0.0.1", ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("another issuer"), std::string::npos);
  EXPECT_EQ(provider_.calls["/token"], 0);
}

TEST_F(SignIn, ARefusedCodeIsRefused) {
  provider_.token_status = 400;
  auto r = sign_in(good_claims());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("invalid_grant"), std::string::npos);
}

TEST_F(SignIn, ABadTokenIsRefusedAndNothingIsCreated) {
  json c = good_claims("new@x.test");
  c["aud"] = "someone-else";
  auto r = sign_in(c, {.create_users = true});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::unauthorized);
  EXPECT_FALSE(store_->begin_read()->user("new@x.test"));
  EXPECT_TRUE(user_events("new@x.test").empty());
}

TEST_F(SignIn, UnknownUsersAreRefusedUnlessCreationIsOn) {
  auto r = sign_in(good_claims("new@x.test"));
  ASSERT_FALSE(r);
  EXPECT_FALSE(store_->begin_read()->user("new@x.test"));
  auto events = user_events("new@x.test");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "sign_in_failed");

  json c = good_claims("New@X.test");
  c["name"] = "Nova Newton";
  c["groups"] = {"staff", "waiver-auditors"};
  r = sign_in(c, {.create_users = true,
                  .default_department = "Guests",
                  .roles_claim = "groups",
                  .role_map = {{"waiver-auditors", "auditor"}, {"waiver-admins", "admin"}}});
  ASSERT_TRUE(r) << r.error().detail;
  auto user = store_->begin_read()->user("new@x.test");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->name, "Nova Newton");
  EXPECT_EQ(user->department, "Guests");
  EXPECT_EQ(user->roles, std::set<domain::Role>{domain::Role::auditor});
  events = user_events("new@x.test");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].action, "user_create");
  EXPECT_EQ(events[2].action, "sign_in");
}

TEST_F(SignIn, RolesFromTheClaimAreAppliedAtEachSignIn) {
  const OidcUserPolicy policy{.roles_claim = "groups", .role_map = {{"sec", "security_compliance"}}};
  json c = good_claims();
  c["groups"] = "sec";
  ASSERT_TRUE(sign_in(c, policy));
  EXPECT_EQ(store_->begin_read()->user("ana@x.test")->roles,
            std::set<domain::Role>{domain::Role::security_compliance});
  c["groups"] = json::array();
  ASSERT_TRUE(sign_in(c, policy));
  EXPECT_TRUE(store_->begin_read()->user("ana@x.test")->roles.empty());
  int changes = 0;
  for (const auto& e : user_events("ana@x.test")) changes += e.action == "role_change";
  EXPECT_EQ(changes, 2);
  ASSERT_TRUE(sign_in(c, policy));
  changes = 0;
  for (const auto& e : user_events("ana@x.test")) changes += e.action == "role_change";
  EXPECT_EQ(changes, 2) << "no change, no event";
}

TEST_F(SignIn, ClaimsMissingFromTheIdTokenComeFromUserinfo) {
  json c = good_claims();
  c.erase("email");
  c.erase("email_verified");
  provider_.userinfo = {{"sub", "u-123"}, {"email", "ana@x.test"}, {"email_verified", true}};
  auto r = sign_in(c);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(provider_.calls["/me"], 1);
  provider_.userinfo["sub"] = "someone-else";
  r = sign_in(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("another subject"), std::string::npos);
}

TEST_F(SignIn, AnUnverifiedEmailOrADisabledAccountIsRefused) {
  json c = good_claims();
  c["email_verified"] = false;
  auto r = sign_in(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("not verified"), std::string::npos);
  {
    auto uow = store_->begin_write();
    uow->set_disabled("off@x.test", kNow);
    uow->commit();
  }
  r = sign_in(good_claims("off@x.test"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("disabled"), std::string::npos);
}

TEST_F(SignIn, ReturnToMustBeLocal) {
  auto r = begin_oidc_sign_in(s_, client_, "https://evil.test/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::invalid);
}

TEST_F(SignIn, ADiscoveryDocumentOfAnotherIssuerMakesTheStartUnavailable) {
  provider_.discovery["issuer"] = "https://other.example.test";
  auto r = begin_oidc_sign_in(s_, client_, "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, K::unavailable);
}

}  // namespace
}  // namespace waiver::app
