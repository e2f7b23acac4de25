#include "app/request_text.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace waiver::app {
namespace {

using domain::format_date;
using domain::format_instant;

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

namespace {

// A small writer of one JSON value after another: the caller writes the keys in the order
// nlohmann's std::map gives them (byte order), which request_text_test.cpp checks.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void open() {
    out_ += '{';
    first_ = true;
  }
  void close() {
    out_ += '}';
    first_ = false;
  }
  void open_array() {
    out_ += '[';
    first_ = true;
  }
  void close_array() {
    out_ += ']';
    first_ = false;
  }
  // The separator before an element of an array.
  void element() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  Writer& key(std::string_view k) {
    element();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    return *this;
  }
  void null() { out_ += "null"; }
  void boolean(bool b) { out_ += b ? "true" : "false"; }
  void number(std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void text(std::string_view s) { append_json_string(out_, s); }
  // The optional forms of to_json: an empty text is null.
  void opt_text(const std::string& s) { s.empty() ? null() : text(s); }
  void opt_instant(const std::optional<domain::Instant>& t) { t ? text(format_instant(*t)) : null(); }
  void opt_date(const std::optional<domain::Date>& d) { d ? text(format_date(*d)) : null(); }
  template <typename E>
  void opt_enum(const std::optional<E>& e) {
    e ? text(domain::to_string(*e)) : null();
  }
  void texts(const std::vector<std::string>& v) {
    open_array();
    for (const auto& s : v) {
      element();
      text(s);
    }
    close_array();
  }
  void numbers(const std::vector<domain::Id>& v) {
    open_array();
    for (auto x : v) {
      element();
      number(x);
    }
    close_array();
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// The names a view gives the people it names by email: null when unknown.
struct Names {
  const std::map<std::string, std::string>* names = nullptr;
  void write(Writer& w, const std::string& email) const {
    auto it = names->find(email);
    it == names->end() ? w.null() : w.text(it->second);
  }
};

void write(Writer& w, const domain::CompensatingControl& c) {
  w.open();
  w.key("description").text(c.description);
  w.key("evidence_url").opt_text(c.evidence_url);
  w.key("owner").opt_text(c.owner);
  w.key("status").text(domain::to_string(c.status));
  w.close();
}

void write(Writer& w, const domain::ApprovalSlot& s, const Names* names) {
  w.open();
  w.key("at").opt_instant(s.at);
  w.key("by").opt_text(s.by);
  if (names) {
    w.key("by_name");
    s.by.empty() ? w.null() : names->write(w, s.by);
  }
  w.key("comment").opt_text(s.comment);
  w.key("eligible").texts(s.eligible);
  if (names) {
    w.key("eligible_names").open_array();
    for (const auto& e : s.eligible) {
      w.element();
      names->write(w, e);
    }
    w.close_array();
  }
  w.key("required").boolean(s.required);
  w.key("slot").text(s.slot);
  w.key("stage").text(domain::to_string(s.stage));
  w.key("status").text(domain::to_string(s.status));
  w.close();
}

void write(Writer& w, const domain::Appeal& a) {
  w.open();
  w.key("at").opt_instant(a.at);
  w.key("by").opt_text(a.by);
  w.key("dispositions").open_array();
  for (const auto& d : a.dispositions) {
    w.element();
    w.open();
    w.key("at").text(format_instant(d.at));
    w.key("by").text(d.by);
    w.key("comment").opt_text(d.comment);
    w.key("decision").text(domain::to_string(d.decision));
    w.key("role").text(domain::to_string(d.role));
    w.close();
  }
  w.close_array();
  w.key("legal_at").opt_instant(a.legal_at);
  w.key("legal_by").opt_text(a.legal_by);
  w.key("legal_opinion").opt_text(a.legal_opinion);
  w.key("reason").opt_text(a.reason);
  w.close();
}

void write_notes(Writer& w, const std::vector<domain::Note>& notes, const char* body_key,
                 const Names& names) {
  w.open_array();
  for (const auto& n : notes) {
    w.element();
    w.open();
    w.key("at").text(format_instant(n.at));
    // "body" sorts after "at" and before "by"; "notes" after "by_name".
    const bool body_first = std::string_view(body_key) < "by";
    if (body_first) w.key(body_key).text(n.body);
    w.key("by").text(n.by);
    w.key("by_name");
    names.write(w, n.by);
    if (!body_first) w.key(body_key).text(n.body);
    w.close();
  }
  w.close_array();
}

// The request, and with `view` the API's additions: allowed actions, names, and the notes of a
// detailed view (without them, no invitations).
void write_request(Writer& w, const domain::ExceptionRequest& r, const RequestView* view) {
  const auto& c = r.content;
  const Names names{view ? &view->names : nullptr};
  const bool invitations = !view || view->detailed;
  w.open();
  w.key("action_plan").opt_text(r.action_plan);
  if (view) w.key("allowed_actions").texts(view->allowed_actions);
  w.key("alternative").text(c.alternative);
  w.key("appeal");
  r.appeal.at ? write(w, r.appeal) : w.null();
  w.key("approvals").open_array();
  for (const auto& s : r.approvals) {
    w.element();
    write(w, s, view ? &names : nullptr);
  }
  w.close_array();
  w.key("closed_reason").opt_text(r.closed_reason);
  w.key("compensating_controls").open_array();
  for (const auto& x : c.compensating_controls) {
    w.element();
    write(w, x);
  }
  w.close_array();
  w.key("compliance").open();
  w.key("frameworks").texts(r.frameworks);
  w.key("implications").opt_enum(r.implications);
  w.close();
  w.key("created_at").text(format_instant(r.created_at));
  w.key("data_classification").opt_enum(c.data_classification);
  w.key("decided_at").opt_instant(r.decided_at);
  w.key("decision_end_on").opt_date(r.decision_end_on);
  w.key("department").opt_text(r.department);
  w.key("description").text(c.description);
  w.key("end_on").opt_date(c.end_on);
  w.key("extension_ids").numbers(r.extension_ids);
  w.key("id").number(r.id);
  w.key("impact");
  c.impact ? w.number(*c.impact) : w.null();
  if (view && view->detailed) {
    w.key("inputs");
    write_notes(w, view->inputs, "body", names);
  }
  if (invitations) {
    w.key("invitations").open_array();
    for (const auto& i : r.invitations) {
      w.element();
      w.open();
      w.key("at").text(format_instant(i.at));
      w.key("by").text(i.by);
      w.key("email").text(i.email);
      w.key("note").opt_text(i.note);
      w.close();
    }
    w.close_array();
  }
  w.key("justification").text(c.justification);
  w.key("likelihood");
  c.likelihood ? w.number(*c.likelihood) : w.null();
  w.key("links").texts(c.links);
  w.key("matrix_version");
  r.matrix_version ? w.number(r.matrix_version) : w.null();
  w.key("max_days");
  r.max_days ? w.number(r.max_days) : w.null();
  w.key("parent_id");
  r.parent_id ? w.number(*r.parent_id) : w.null();
  w.key("policy_id").text(c.policy_id);
  w.key("ref").text(r.ref);
  w.key("requester").text(r.requester);
  w.key("requester_name").text(r.requester_name);
  w.key("requirement").text(c.requirement);
  w.key("resources").text(c.resources);
  if (view && view->detailed) {
    w.key("reviews");
    write_notes(w, view->reviews, "notes", names);
  }
  w.key("risk_level").opt_enum(r.risk_level);
  w.key("scope").text(c.scope);
  w.key("start_on").opt_date(c.start_on);
  w.key("status").text(domain::to_string(r.status));
  w.key("submitted_at").opt_instant(r.submitted_at);
  w.key("title").text(c.title);
  w.key("type").opt_enum(c.type);
  w.key("updated_at").text(format_instant(r.updated_at));
  w.key("version").number(r.version);
  w.close();
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  if (!is_valid_utf8(s)) {  // rare: let nlohmann's replace handler write it
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json(std::string& out, const domain::ExceptionRequest& r) {
  Writer w(out);
  write_request(w, r, nullptr);
}

void append_json(std::string& out, const RequestView& v) {
  Writer w(out);
  write_request(w, v.request, &v);
}

}  // namespace waiver::app
