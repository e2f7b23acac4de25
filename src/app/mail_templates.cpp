// The words of each notice. Every mail names the request's reference, title and status.
#include <string>

#include "app/mail.hpp"

namespace waiver::app {
namespace {

using domain::NoticeKind;

struct Template {
  const char* subject;
  const char* headline;  // one sentence, in text and HTML
};

Template template_for(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::action_needed:
      return {"{{ref}} waits for your approval: {{title}}",
              "The request {{ref}} waits for your decision on the {{slot}} approval."};
    case NoticeKind::decided:
      return {"{{ref}} {{slot}} approval: {{decision}}: {{title}}",
              "The {{slot}} approval of {{ref}} was decided: {{decision}} by {{by}}. The request is now "
              "{{status}}."};
    case NoticeKind::status_changed:
      return {"{{ref}} is now {{status}}: {{title}}", "The request {{ref}} is now {{status}}."};
    case NoticeKind::appeal_to_legal:
      return {"{{ref}} appeal waits for a legal opinion: {{title}}",
              "The denial of {{ref}} was appealed. Legal's opinion is needed before the CEO and CFO decide."};
    case NoticeKind::appeal_to_executives:
      return {"{{ref}} appeal waits for your disposition: {{title}}",
              "Legal has given its opinion on the appeal of {{ref}}. The CEO and CFO now grant or uphold."};
    case NoticeKind::invited:
      return {"{{ref}}: your input is asked for: {{title}}",
              "You are invited to give your input on {{ref}}, which is {{status}}."};
    case NoticeKind::input_added:
      return {"{{ref}}: new input: {{title}}", "A new input was added to {{ref}}, which is {{status}}."};
    case NoticeKind::review_added:
      return {"{{ref}} was reviewed: {{title}}",
              "A review note was recorded on {{ref}}, which is {{status}}."};
    case NoticeKind::withdrawn:
      return {
          "{{ref}} was withdrawn: {{title}}",
          "The request {{ref}} was withdrawn by its requester; your {{slot}} approval is no longer needed. "
          "It is now {{status}}."};
    case NoticeKind::expiry_reminder:
      return {"{{ref}} expires in {{days}} days: {{title}}",
              "The exception {{ref}} ends on {{end_on}}, in {{days}} days. It is {{status}}. To keep it, "
              "ask for an extension, which needs a new approval."};
    case NoticeKind::approval_reminder:
      return {"Reminder: {{ref}} still waits for your approval: {{title}}",
              "The {{slot}} approval of {{ref}} has waited since {{since}}. The request is {{status}}."};
    case NoticeKind::escalation:
      return {"Escalation: {{ref}} has waited too long for the {{slot}} approval: {{title}}",
              "The {{slot}} approval of {{ref}} has waited since {{since}} without a decision. "
              "The request is {{status}}."};
  }
  return {"{{ref}}: {{title}}", "The request {{ref}} is now {{status}}."};
}

constexpr std::string_view kText = R"(Hello,

{{headline}}

  Reference: {{ref}}
  Title:     {{title}}
  Status:    {{status}}
  Policy:    {{policy}}
  Requester: {{requester}}
  End date:  {{end_on}}

Open it: {{link}}

-- 
Waiver, the policy exception register
)";

constexpr std::string_view kHtml = R"(<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.4">
<p>{{headline}}</p>
<table style="border-collapse: collapse">
<tr><th align="left">Reference</th><td>{{ref}}</td></tr>
<tr><th align="left">Title</th><td>{{title}}</td></tr>
<tr><th align="left">Status</th><td>{{status}}</td></tr>
<tr><th align="left">Policy</th><td>{{policy}}</td></tr>
<tr><th align="left">Requester</th><td>{{requester}}</td></tr>
<tr><th align="left">End date</th><td>{{end_on}}</td></tr>
</table>
<p><a href="{{link}}">Open {{ref}} in Waiver</a></p>
</body></html>
)";

std::string decision_words(const domain::ApprovalSlot* s) {
  if (!s) return "decided";
  switch (s->status) {
    case domain::SlotStatus::approved: return "approved";
    case domain::SlotStatus::rejected: return "rejected";
    case domain::SlotStatus::changes_requested: return "changes requested";
    case domain::SlotStatus::pending: return "pending";
  }
  return "decided";
}

}  // namespace

MailContent compose(const domain::Notice& notice, const domain::ExceptionRequest& r,
                    const std::string& link) {
  const domain::ApprovalSlot* slot = notice.slot.empty() ? nullptr : r.find_slot(notice.slot);
  std::map<std::string, std::string> vars{
      {"ref", r.ref},
      {"title", r.content.title},
      {"status", std::string(domain::to_string(r.status))},
      {"policy", r.content.policy_id},
      {"requester", r.requester_name.empty() ? r.requester : r.requester_name + " <" + r.requester + ">"},
      {"end_on", r.decision_end_on ? domain::format_date(*r.decision_end_on)
                                   : (r.content.end_on ? domain::format_date(*r.content.end_on) : "not set")},
      {"slot", notice.slot},
      {"decision", decision_words(slot)},
      {"by", slot ? slot->by : ""},
      {"days", std::to_string(notice.days)},
      {"since", slot ? domain::format_instant(domain::waiting_since(r, *slot)) : ""},
      {"link", link}};
  const Template t = template_for(notice.kind);
  MailContent m;
  m.subject = render_template(t.subject, vars, false);
  vars["headline"] = render_template(t.headline, vars, false);
  m.text = render_template(kText, vars, false);
  m.html = render_template(kHtml, vars, true);
  return m;
}

MailContent compose_digest(const std::vector<DigestLine>& lines, const std::string& week) {
  MailContent m;
  m.subject = "Waiver weekly digest " + week + ": " + std::to_string(lines.size()) +
              (lines.size() == 1 ? " request waits" : " requests wait") + " for you";
  m.text = "Hello,\n\nThese requests wait for your approval:\n\n";
  m.html =
      "<!doctype html>\n<html><body style=\"font-family: sans-serif\">\n<p>These requests wait for your "
      "approval:</p>\n<ul>\n";
  for (const auto& l : lines) {
    const std::map<std::string, std::string> vars{
        {"ref", l.ref}, {"title", l.title}, {"slot", l.slot}, {"since", l.waiting_since}, {"link", l.link}};
    m.text += render_template(
        "  {{ref}}  {{title}}\n    {{slot}} approval, waiting since {{since}}\n    {{link}}\n", vars, false);
    m.html += render_template(
        "<li><a href=\"{{link}}\">{{ref}}</a> {{title}}: {{slot}} approval, waiting since {{since}}</li>\n",
        vars, true);
  }
  m.text += "\n-- \nWaiver, the policy exception register\n";
  m.html += "</ul>\n</body></html>\n";
  return m;
}

}  // namespace waiver::app
