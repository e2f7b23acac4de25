#include "cli/audit_commands.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/audit_checkpoints.hpp"
#include "app/secrets.hpp"
#include "http/csv.hpp"
#include "http/handlers.hpp"

extern char** environ;

namespace waiver::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

app::SigningKey configured_key(const Config& config) {
  if (config.audit_signing_key.empty())
    throw Failure(
        "no signing key: set WAIVER_AUDIT_SIGNING_KEY (or audit_signing_key) to the file "
        "`waiver audit keygen --out FILE` wrote");
  auto key = app::read_signing_key(config.audit_signing_key);
  if (!key) throw Failure(key.error());
  return *key;
}

json checkpoint_json(const app::AuditCheckpoint& c) {
  return {{"id", c.id},
          {"events", c.events},
          {"head", c.head},
          {"at", domain::format_instant(c.at)},
          {"public_key", c.public_key},
          {"signature", c.signature}};
}

app::AuditCheckpoint checkpoint_from(const json& j) {
  app::AuditCheckpoint c;
  c.id = j.at("id").get<std::int64_t>();
  c.events = j.at("events").get<std::int64_t>();
  c.head = j.at("head").get<std::string>();
  auto at = domain::parse_instant(j.at("at").get<std::string>());
  if (!at) throw Failure("checkpoint " + std::to_string(c.id) + ": bad time");
  c.at = *at;
  c.public_key = j.value("public_key", "");
  c.signature = j.at("signature").get<std::string>();
  return c;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) throw Failure("cannot write " + p.string());
}

std::string raw_from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

int run_tar(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "tar", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Recomputes the chain in Python's standard library, for auditors without Waiver.
constexpr const char* kVerifyScript = R"py(#!/usr/bin/env python3
"""Recompute the Waiver audit chain from events.jsonl and check that it passes through every
checkpoint of checkpoints.jsonl. Standard library only. Usage: python3 verify_chain.py [FOLDER]"""
import hashlib, json, os, sys

folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
prev, n, hashes = "0" * 64, 0, {0: "0" * 64}
with open(os.path.join(folder, "events.jsonl"), encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        n += 1
        if e["id"] != n:
            sys.exit(f"event {e['id']}: expected event {n} here: events are missing or reordered")
        if e["prev_hash"] != prev:
            sys.exit(f"event {n}: prev_hash does not match the hash of the event before")
        # The hash covers every column but `hash`: JSON with sorted keys and no spaces, UTF-8.
        body = {k: v for k, v in e.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != e["hash"]:
            sys.exit(f"event {n}: its content does not match its hash: it was edited")
        prev = hashes[n] = e["hash"]
checked = 0
with open(os.path.join(folder, "checkpoints.jsonl"), encoding="utf-8") as f:
    for line in f:
        c = json.loads(line)
        if c["events"] > n or hashes[c["events"]] != c["head"]:
            sys.exit(f"checkpoint {c['id']}: the chain does not pass through it (event {c['events']})")
        checked += 1
print(f"chain intact: {n} events, head {prev}; it passes through {checked} checkpoints")
)py";

std::string readme(const std::string& public_key, bool key_from_database, const app::VerifyResult& v,
                   std::size_t checkpoints, const std::string& at) {
  std::ostringstream r;
  r << "# Waiver audit evidence\n\n"
    << "Written by `waiver audit bundle` at " << at << ". At that moment the audit chain held " << v.events
    << " events ending in\n`" << v.head << "`, and it " << (v.ok ? "verified" : "did NOT verify: " + v.reason)
    << ".\n\n"
    << "| file | what |\n| --- | --- |\n"
    << "| `events.jsonl` | every audit event, one JSON object a line, columns exactly as hashed (`waiver "
       "audit "
       "export`) |\n"
    << "| `register.csv` | the register: every exception request and its state |\n"
    << "| `checkpoints.jsonl` | the " << checkpoints
    << " signed checkpoints: `{id, events, head, at, public_key, signature}` |\n"
    << "| `checkpoints/N.txt`, `checkpoints/N.sig` | checkpoint N: the exact bytes signed, and the raw "
       "Ed25519 "
       "signature |\n"
    << "| `public_key.hex`, `public_key.pem` | the Ed25519 public key the checkpoints are checked with |\n"
    << "| `verify_chain.py` | recomputes the chain with Python's standard library |\n"
    << "| `SHA256SUMS` | the SHA-256 of every other file |\n\n"
    << "## How to verify, with standard tools\n\n"
    << "1. **The files are whole.** `sha256sum -c SHA256SUMS`\n"
    << "2. **The key is the right one.** Compare `public_key.hex` (" << public_key
    << ") with the key your organisation published when it set up Waiver (`waiver audit keygen` printed "
       "it). ";
  if (key_from_database)
    r << "**This bundle took the key from the checkpoints in the database: do not trust it until you have "
         "compared it.** ";
  r << "Without that comparison a signature proves nothing.\n"
    << "3. **Each checkpoint is signed by that key.** For each N:\n\n"
    << "   ```sh\n"
    << "   openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in checkpoints/N.txt -sigfile "
       "checkpoints/N.sig\n"
    << "   for n in checkpoints/*.txt; do openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin \\\n"
    << "     -in $n -sigfile ${n%.txt}.sig || echo \"BAD: $n\"; done\n"
    << "   ```\n\n"
    << "   `checkpoints/N.txt` reads `waiver-audit-checkpoint v1`, then `events: COUNT`, `head: HASH` and "
       "`at: "
       "TIME`, each on its own line.\n"
    << "4. **The chain is whole and passes through every checkpoint.** `python3 verify_chain.py` recomputes "
       "each "
       "event's SHA-256 (over the JSON of every field but `hash`, keys sorted, no spaces, UTF-8), checks "
       "that "
       "each `prev_hash` is the hash before it, and that event `events` of each checkpoint has the hash "
       "`head` "
       "it names.\n\n"
    << "   An edited or deleted event breaks the chain. Someone who rewrote history and recomputed every "
       "hash "
       "(and `audit_head`) makes a chain that is consistent again, but it no longer passes through the "
       "checkpoints signed before, and a new signature needs the secret key, which is not in the database.\n"
    << "5. **Nothing was dropped since the last bundle.** Keep each bundle. Every checkpoint of an earlier "
       "bundle must appear in this one, unchanged, and this chain must pass through it: `waiver audit verify "
       "--public-key public_key.hex --checkpoints OLD/checkpoints.jsonl` checks that against the live "
       "database, and `verify_chain.py` against this bundle when you copy the old `checkpoints.jsonl` "
       "here.\n\n"
    << "Events after the last checkpoint are protected by the chain alone until the next checkpoint is "
       "signed (the server signs one every `audit_checkpoint_seconds` while the chain grows).\n";
  return r.str();
}

}  // namespace

int audit_keygen(const std::string& out) {
  const auto key = app::generate_signing_key();
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    throw Failure("cannot create " + out + ": " + std::strerror(errno) + " (it is never overwritten)");
  const bool ok =
      ::write(fd, key.file_text.data(), key.file_text.size()) == static_cast<ssize_t>(key.file_text.size()) &&
      ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Failure("cannot write " + out);
  std::cerr << "Wrote the secret key to " << out
            << " (mode 0600). Keep a copy offline; set WAIVER_AUDIT_SIGNING_KEY=" << out
            << ".\nPublish this public key for auditors (hex):\n";
  std::cout << key.public_key << "\n";
  return 0;
}

int audit_checkpoint(app::Services& services, const Config& config) {
  const auto key = configured_key(config);
  auto c = app::make_checkpoint(services.store, key, services.clock.now(), std::nullopt);
  if (!c) throw Failure(c.error().detail);
  const auto& cp = **c;
  std::cout << "checkpoint " << cp.id << ": " << cp.events << " events, head " << cp.head << ", signed at "
            << domain::format_instant(cp.at) << " by " << cp.public_key << "\n";
  return 0;
}

int audit_verify(app::Store& store, const std::optional<std::string>& public_key,
                 const std::optional<std::string>& checkpoints_file) {
  std::string pk;
  if (public_key) {
    auto parsed = app::parse_public_key(*public_key);
    if (!parsed) throw Failure("--public-key: " + parsed.error());
    pk = *parsed;
  }
  std::vector<app::AuditCheckpoint> outside;
  if (checkpoints_file) {
    std::ifstream in(*checkpoints_file);
    if (!in) throw Failure("cannot read " + *checkpoints_file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) try {
          outside.push_back(checkpoint_from(json::parse(line)));
        } catch (const std::exception& e) {
          throw Failure(*checkpoints_file + ": not a checkpoint line: " + e.what());
        }
    if (!public_key) throw Failure("--checkpoints needs --public-key: unsigned checkpoints prove nothing");
  }
  auto r = store.verify_audit();
  if (!r.ok) {
    std::cerr << "audit chain broken at event " << *r.first_bad << ": " << r.reason << "\n";
    return 1;
  }
  if (public_key) {
    for (const auto& c : r.checkpoints)
      if (!app::checkpoint_signature_valid(c, pk)) {
        std::cerr << "checkpoint " << c.id << " (event " << c.events << ", " << domain::format_instant(c.at)
                  << ") is not signed by the public key given: it was forged or the key is wrong\n";
        return 1;
      }
    // Checkpoints kept outside the database: signed, and the chain passes through each.
    for (const auto& c : outside)
      if (!app::checkpoint_signature_valid(c, pk)) {
        std::cerr << *checkpoints_file << ": checkpoint " << c.id
                  << " is not signed by the public key given\n";
        return 1;
      }
    if (!outside.empty()) {
      std::multimap<std::int64_t, const app::AuditCheckpoint*> by_events;
      for (const auto& c : outside) {
        if (c.events > r.events) {
          std::cerr << "the chain ends at event " << r.events << " but checkpoint " << c.id << " of "
                    << *checkpoints_file << " covers " << c.events << " events: events were removed\n";
          return 1;
        }
        by_events.emplace(c.events, &c);
      }
      std::string bad;
      auto check = [&](std::int64_t events, const std::string& hash) {
        auto [from, to] = by_events.equal_range(events);
        for (auto it = from; it != to && bad.empty(); ++it)
          if (it->second->head != hash)
            bad = "the chain does not pass through checkpoint " + std::to_string(it->second->id) + " of " +
                  *checkpoints_file + " (event " + std::to_string(events) + "): history was rewritten";
      };
      check(0, std::string(64, '0'));
      store.export_audit([&](const app::AuditEvent& e) { check(e.id, e.hash); });
      if (!bad.empty()) {
        std::cerr << bad << "\n";
        return 1;
      }
    }
  }
  std::cout << "audit chain intact: " << r.events << " events, head " << r.head;
  if (public_key)
    std::cout << "; " << r.checkpoints.size() << " checkpoints signed by " << pk << " and passed through";
  else
    std::cout << "; passes through " << r.checkpoints.size()
              << " stored checkpoints (signatures not checked: give --public-key)";
  if (!outside.empty()) std::cout << ", and " << outside.size() << " from " << *checkpoints_file;
  std::cout << "\n";
  return 0;
}

int audit_bundle(app::Services& services, const Config& config, const std::string& out,
                 const std::optional<std::string>& public_key) {
  const bool tar = out.ends_with(".tar") || out.ends_with(".tar.gz") || out.ends_with(".tgz");
  fs::path dir = out;
  std::optional<fs::path> staging;
  if (tar) {
    staging = fs::temp_directory_path() / ("waiver-bundle-" + app::random_hex(6));
    dir = *staging / "waiver-audit-evidence";
  } else if (fs::exists(dir) && !fs::is_empty(dir)) {
    throw Failure(out + " exists and is not empty");
  }
  fs::create_directories(dir / "checkpoints");
  const auto now = services.clock.now();

  // The checkpoints first: every one of them covers events that the export below will hold.
  std::vector<app::AuditCheckpoint> checkpoints;
  {
    auto uow = services.store.begin_read();
    checkpoints = uow->checkpoints();
  }
  std::string pk;
  bool key_from_database = false;
  if (public_key) {
    auto parsed = app::parse_public_key(*public_key);
    if (!parsed) throw Failure("--public-key: " + parsed.error());
    pk = *parsed;
  } else if (!config.audit_signing_key.empty()) {
    pk = configured_key(config).public_key;
  } else if (!checkpoints.empty()) {
    pk = checkpoints.back().public_key;
    key_from_database = true;
  } else {
    throw Failure("no public key: give --public-key, or configure the signing key");
  }
  {
    std::ofstream f(dir / "checkpoints.jsonl", std::ios::binary);
    for (const auto& c : checkpoints) {
      f << checkpoint_json(c).dump() << "\n";
      write_file(dir / "checkpoints" / (std::to_string(c.id) + ".txt"), app::checkpoint_message(c));
      write_file(dir / "checkpoints" / (std::to_string(c.id) + ".sig"), raw_from_hex(c.signature));
    }
  }
  {
    std::ofstream f(dir / "events.jsonl", std::ios::binary);
    services.store.export_audit([&](const app::AuditEvent& e) {
      f << http::event_json(e, false).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    });
    if (!f) throw Failure("cannot write events.jsonl");
  }
  {
    const domain::Actor auditor{"audit-bundle", "Audit bundle", "", {domain::Role::auditor}, {}, {}, {}};
    app::ListFilter filter;
    filter.limit = 200;
    std::vector<app::RequestView> all;
    for (;;) {
      auto page = app::list_requests(services, auditor, filter);
      if (!page) throw Failure(page.error().detail);
      for (auto& v : page->items) all.push_back(std::move(v));
      if (!page->next_before) break;
      filter.before_id = page->next_before;
    }
    write_file(dir / "register.csv", http::register_csv(all));
  }
  write_file(dir / "public_key.hex", pk + "\n");
  write_file(dir / "public_key.pem", app::public_key_pem(pk));
  write_file(dir / "verify_chain.py", kVerifyScript);
  const auto verified = services.store.verify_audit();
  write_file(dir / "README.md",
             readme(pk, key_from_database, verified, checkpoints.size(), domain::format_instant(now)));
  {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).generic_string());
    std::sort(files.begin(), files.end());
    std::ostringstream sums;
    for (const auto& f : files) {
      std::ifstream in(dir / f, std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      sums << app::sha256_hex(content.str()) << "  " << f << "\n";
    }
    write_file(dir / "SHA256SUMS", sums.str());
  }
  if (tar) {
    const bool gz = !out.ends_with(".tar");
    const int rc = run_tar({"tar", gz ? "-czf" : "-cf", fs::absolute(out).string(), "-C", staging->string(),
                            "waiver-audit-evidence"});
    fs::remove_all(*staging);
    if (rc != 0) throw Failure("tar could not write " + out);
  }
  std::cout << "Wrote the audit evidence to " << out << ": " << verified.events << " events, "
            << checkpoints.size() << " checkpoints, public key " << pk << "\n";
  if (!verified.ok) {
    std::cerr << "the audit chain does NOT verify: " << verified.reason << "\n";
    return 1;
  }
  return 0;
}

}  // namespace waiver::cli
