#include "store/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

#include "app/request_text.hpp"
#include "app/secrets.hpp"

namespace waiver::store {

// The event as compact JSON with its keys sorted, the form whose SHA-256 chains the events.
// Written as text: the json tree it replaces (kept in audit_chain_test.cpp, which checks the two
// agree byte for byte) was a tenth of an import. Invalid UTF-8 reads as U+FFFD, as nlohmann's
// `replace` handler has it.
std::string canonical_encoding(const app::AuditEvent& e) {
  const auto& r = e.record;
  std::string out;
  out.reserve(192 + r.actor.size() + r.action.size() + r.entity_type.size() + r.entity_id.size() +
              r.ref.size() + (r.before.size() + r.after.size() + r.data.size()) * 5 / 4 + e.prev_hash.size());
  auto field = [&](const char* key, std::string_view value) {
    out += key;
    app::append_json_string(out, value);
  };
  field("{\"action\":", r.action);
  field(",\"actor\":", r.actor);
  field(",\"after\":", r.after);
  field(",\"at\":", domain::format_instant(r.at));
  field(",\"before\":", r.before);
  field(",\"data\":", r.data);
  field(",\"entity_id\":", r.entity_id);
  field(",\"entity_type\":", r.entity_type);
  out += ",\"id\":";
  out += std::to_string(e.id);
  field(",\"prev_hash\":", e.prev_hash);
  field(",\"ref\":", r.ref);
  out += '}';
  return out;
}

std::string chain_hash(const app::AuditEvent& e) { return app::sha256_hex(canonical_encoding(e)); }

namespace {

// The record's text fields, the ones the canonical encoding reads as UTF-8; const or not.
template <typename Record>
auto text_fields(Record& r) {
  return std::array{&r.actor, &r.action, &r.entity_type, &r.entity_id, &r.ref, &r.before, &r.after, &r.data};
}

}  // namespace

app::AuditRecord with_valid_utf8(app::AuditRecord r) {
  for (std::string* s : text_fields(r))
    if (!app::is_valid_utf8(*s))
      *s = nlohmann::json::parse(
               nlohmann::json(*s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
               .get<std::string>();
  return r;
}

bool is_valid_utf8(const app::AuditEvent& e) {
  bool ok = app::is_valid_utf8(e.prev_hash);
  for (const std::string* s : text_fields(e.record)) ok = ok && app::is_valid_utf8(*s);
  return ok;
}

void ChainVerifier::fail(app::Id id, std::string reason) {
  if (!result_.ok) return;
  result_.ok = false;
  result_.first_bad = id;
  result_.reason = std::move(reason);
}

void ChainVerifier::expect(std::vector<app::AuditCheckpoint> checkpoints) {
  std::stable_sort(checkpoints.begin(), checkpoints.end(),
                   [](const auto& a, const auto& b) { return a.events < b.events; });
  pending_ = std::move(checkpoints);
  next_ = 0;
  pass_checkpoints(0, kGenesisHash);
}

void ChainVerifier::pass_checkpoints(std::int64_t events, const std::string& hash) {
  for (; next_ < pending_.size() && pending_[next_].events == events; ++next_) {
    const auto& c = pending_[next_];
    if (!result_.ok) return;
    if (c.head != hash) {
      fail(last_good_ + 1, "the chain does not pass through checkpoint " + std::to_string(c.id) +
                               " (signed " + domain::format_instant(c.at) + "): event " +
                               std::to_string(events) + " has the hash " + hash + ", the checkpoint says " +
                               c.head + "; history after event " + std::to_string(last_good_) +
                               " was rewritten");
      result_.bad_checkpoint = c.id;
      return;
    }
    result_.checkpoints.push_back(c);
    last_good_ = events;
  }
}

void ChainVerifier::feed(const app::AuditEvent& e) {
  ++result_.events;
  if (e.id != expected_id_)
    fail(e.id, "expected event " + std::to_string(expected_id_) + " here: events are missing or reordered");
  else if (e.prev_hash != prev_)
    fail(e.id, "prev_hash does not match the hash of the event before");
  else if (!is_valid_utf8(e))
    fail(e.id, "the event holds bytes that are not UTF-8, which Waiver never stores: it was edited");
  else if (chain_hash(e) != e.hash)
    fail(e.id, "the event's content does not match its hash: it was edited");
  expected_id_ = e.id + 1;
  prev_ = e.hash;
  result_.head = e.hash;
  if (result_.ok) pass_checkpoints(e.id, e.hash);
}

app::VerifyResult ChainVerifier::finish(std::int64_t head_events, const std::string& head_hash) {
  if (result_.ok && (head_events != result_.events || head_hash != (result_.events ? prev_ : kGenesisHash))) {
    result_.ok = false;
    result_.first_bad = result_.events + 1;
    result_.reason = "the chain ends at event " + std::to_string(result_.events) +
                     " but the recorded head is event " + std::to_string(head_events) +
                     ": events were removed from the end";
  }
  if (result_.ok && next_ < pending_.size()) {
    const auto& c = pending_[next_];
    result_.ok = false;
    result_.first_bad = result_.events + 1;
    result_.bad_checkpoint = c.id;
    result_.reason = "the chain ends at event " + std::to_string(result_.events) + " but checkpoint " +
                     std::to_string(c.id) + " (signed " + domain::format_instant(c.at) + ") covers " +
                     std::to_string(c.events) + " events: events were removed";
  }
  if (result_.events == 0) result_.head = kGenesisHash;
  return result_;
}

}  // namespace waiver::store
