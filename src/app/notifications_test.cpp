// Notifications end to end below HTTP: the outbox a step fills, the jobs that fill it once, the
// delivery with a failing and a working mailer, the mail and feed formats.
#include <gtest/gtest.h>

#include "app/delivery.hpp"
#include "app/jobs.hpp"
#include "app/notification_admin.hpp"
#include "app/use_cases_fixture.hpp"

namespace waiver::app {
namespace {

using namespace waiver::app::testing;

// Records what it is asked to send; fails while `down`.
class RecordingMailer final : public Mailer {
 public:
  std::string send(const MailMessage& m) override {
    if (down) return "connection refused";
    sent.push_back(m);
    return "";
  }
  bool down = false;
  std::vector<MailMessage> sent;
};

class NoWeb final : public WebClient {
 public:
  WebResponse send(const WebRequest&) override { return {0, "", "no network in this test"}; }
};

class Notifications : public UseCases {
 protected:
  std::vector<OutboxMessage> outbox() { return store_->begin_read()->outbox({"", 1000, std::nullopt}); }
  std::vector<std::string> mails_to_sorted(const std::vector<OutboxMessage>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms)
      if (m.channel == "email") out.push_back(m.target + " " + m.event);
    std::sort(out.begin(), out.end());
    return out;
  }
  DeliveryReport deliver() {
    return deliver_due(*store_, mailer_, web_, {"Waiver <w@x.test>", "test", 20, 300, 3}, clock_);
  }

  RecordingMailer mailer_;
  NoWeb web_;
};

TEST_F(Notifications, EachStepQueuesItsMailsInItsOwnTransaction) {
  const auto id = create();
  EXPECT_TRUE(outbox().empty()) << "a draft tells nobody";
  ok(run(submit_request, "ana", id));
  EXPECT_EQ(mails_to_sorted(outbox()), (std::vector<std::string>{"eng.head@x.test exception.submit"}));
  // A refused step queues nothing.
  EXPECT_FALSE(decide("sec", id, "compliance", {{"decision", "approve"}, {"implications", "none"}}));
  EXPECT_EQ(outbox().size(), 1u);
}

TEST_F(Notifications, DeliveryRetriesWithBackOffAndGivesUpAfterTheLastAttempt) {
  const auto id = create();
  ok(run(submit_request, "ana", id));
  mailer_.down = true;
  auto r = deliver();
  EXPECT_EQ(r.failed, 1);
  auto m = outbox().at(0);
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.next_attempt_at.seconds, clock_.now().seconds + 10);
  EXPECT_EQ(m.last_error, "connection refused");
  EXPECT_EQ(deliver().failed, 0) << "not due again before its back-off";
  clock_.set("2026-12-31T00:00:00Z");
  EXPECT_EQ(deliver().failed, 1);
  clock_.set("2027-01-31T00:00:00Z");
  r = deliver();
  EXPECT_EQ(r.gave_up, 1) << "the third attempt is the last one allowed here";
  EXPECT_TRUE(outbox().at(0).failed_at.has_value());
  clock_.set("2027-03-01T00:00:00Z");
  EXPECT_EQ(deliver().failed, 0) << "a message given up on waits for an admin";

  auto admin = actor("ana");
  EXPECT_EQ(retry_delivery(s_, admin, m.id).error().kind, Error::Kind::forbidden);
  mailer_.down = false;
  domain::Actor root = admin;
  root.roles = {domain::Role::admin};
  EXPECT_TRUE(retry_delivery(s_, root, m.id));
  EXPECT_EQ(deliver().delivered, 1);
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].to, "eng.head@x.test");
  EXPECT_NE(mailer_.sent[0].subject.find("waits for your approval"), std::string::npos);
  EXPECT_EQ(retry_delivery(s_, root, m.id).error().kind, Error::Kind::conflict) << "delivered already";
}

TEST_F(Notifications, AClaimedMessageIsSkippedByOtherWorkersUntilItsLeaseEnds) {
  const auto id = create();
  ok(run(submit_request, "ana", id));
  const Instant now = clock_.now();
  auto claim = [&](const char* worker, std::int64_t at) {
    auto uow = store_->begin_write();
    auto got = uow->claim_due(Instant{at}, worker, Instant{at + 300}, 10);
    uow->commit();
    return got.size();
  };
  EXPECT_EQ(claim("a", now.seconds), 1u);
  EXPECT_EQ(claim("b", now.seconds + 299), 0u);
  EXPECT_EQ(claim("b", now.seconds + 301), 1u) << "worker a died: its claim lapsed";
  {
    auto uow = store_->begin_write();
    const auto m = outbox().at(0);
    uow->mark_delivered(m.id, "a", now);  // too late: b holds it now
    uow->commit();
  }
  EXPECT_FALSE(outbox().at(0).delivered_at.has_value());
  {
    auto uow = store_->begin_write();
    uow->mark_delivered(outbox().at(0).id, "b", now);
    uow->commit();
  }
  EXPECT_TRUE(outbox().at(0).delivered_at.has_value());
  EXPECT_EQ(store_->begin_read()->outbox_counts().delivered, 1);
}

TEST_F(Notifications, JobsRunTwiceAtOneInstantQueueEachReminderOnce) {
  const auto id = active_request();  // ends 2026-04-30
  const auto before = outbox().size();
  clock_.set("2026-04-23T06:00:00Z");  // 7 days before the end
  auto first = run_jobs(s_, clock_.now());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->expiry_reminders, 2) << "the requester and the policy owner";
  auto second = run_jobs(s_, clock_.now());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->expiry_reminders, 0);
  EXPECT_EQ(outbox().size(), before + 2);
  clock_.set("2026-05-01T00:00:00Z");
  auto expiry = run_jobs(s_, clock_.now());
  ASSERT_TRUE(expiry);
  EXPECT_EQ(expiry->expired, 1);
  EXPECT_EQ(stored(id).status, domain::Status::expired);
}

TEST_F(Notifications, ASlotWaitingTooLongRemindsItsApproversThenEscalatesToTheOwner) {
  const auto id = create();
  ok(run(submit_request, "ana", id));
  const Instant submitted = clock_.now();
  auto reminders = [&](int hours) {
    auto r = run_jobs(s_, Instant{submitted.seconds + hours * 3600LL});
    EXPECT_TRUE(r);
    return r ? *r : JobsReport{};
  };
  EXPECT_EQ(reminders(71).approval_reminders, 0);
  EXPECT_EQ(reminders(72).approval_reminders, 1);
  EXPECT_EQ(reminders(100).approval_reminders, 0) << "once per slot";
  EXPECT_EQ(reminders(143).escalations, 0);
  EXPECT_EQ(reminders(144).escalations, 1);
  EXPECT_EQ(reminders(200).escalations, 0);
  std::vector<std::string> escalated;
  for (const auto& m : outbox())
    if (m.event == "reminder.escalation") escalated.push_back(m.target);
  EXPECT_EQ(escalated, std::vector<std::string>{"owner@x.test"});
}

TEST_F(Notifications, TheWeeklyDigestListsWhatWaitsOncePerWeek) {
  const auto id = create();
  ok(run(submit_request, "ana", id));
  // 2026-03-09 is a Monday.
  auto digests = [&](const char* at) {
    auto r = run_jobs(s_, *domain::parse_instant(at));
    return r ? r->digests : -1;
  };
  EXPECT_EQ(digests("2026-03-09T06:00:00Z"), 1);
  EXPECT_EQ(digests("2026-03-12T06:00:00Z"), 0);
  EXPECT_EQ(digests("2026-03-16T00:00:01Z"), 1);
  EXPECT_EQ(iso_week(*domain::parse_date("2026-03-09")), "2026-W11");
  EXPECT_EQ(iso_week(*domain::parse_date("2027-01-01")), "2026-W53");
  EXPECT_EQ(iso_weekday(*domain::parse_date("2026-11-27")), 5);
}

TEST(MailFormat, HeadersCannotBeInjectedAndBodiesAreBase64) {
  MailMessage m{"Waiver <w@x.test>",
                "ana@x.test",
                "Hello\r\nBcc: evil@x.test",
                "Grüße",
                "<p>x</p>",
                "<EXC-2026-0001.ab@x.test>",
                "<EXC-2026-0001@x.test>",
                "Fri, 27 Nov 2026 10:00:00 +0000"};
  const std::string text = to_rfc5322(m);
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos);
  EXPECT_NE(text.find("Subject: Hello  Bcc: evil@x.test\r\n"), std::string::npos);
  EXPECT_NE(text.find("In-Reply-To: <EXC-2026-0001@x.test>\r\n"), std::string::npos);
  EXPECT_NE(text.find("R3LDvMOfZQ=="), std::string::npos) << "Grüße in base64";
  m.subject = "Überprüfung";
  EXPECT_NE(to_rfc5322(m).find("Subject: =?UTF-8?B?"), std::string::npos);
}

TEST(MailFormat, TemplatesEscapeHtmlOnlyInHtml) {
  const std::map<std::string, std::string> vars{{"t", "<script>&"}};
  EXPECT_EQ(render_template("a {{t}} {{missing}}b", vars, false), "a <script>& b");
  EXPECT_EQ(render_template("{{t}}", vars, true), "&lt;script&gt;&amp;");
}

TEST(Delivery, BackOffDoublesFromTenSecondsToAnHour) {
  EXPECT_EQ(retry_delay_seconds(1), 10);
  EXPECT_EQ(retry_delay_seconds(2), 20);
  EXPECT_EQ(retry_delay_seconds(3), 40);
  EXPECT_EQ(retry_delay_seconds(9), 2560);
  EXPECT_EQ(retry_delay_seconds(10), 3600);
  EXPECT_EQ(retry_delay_seconds(100), 3600);
}

TEST(Delivery, TheWebhookSignatureIsHmacSha256OfTimeDotBody) {
  // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
  EXPECT_EQ(webhook_signature("secret", 1700000000, "{\"a\":1}"),
            "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
  EXPECT_NE(webhook_signature("secret", 1700000000, "{\"a\":1}"),
            webhook_signature("other", 1700000000, "{\"a\":1}"));
  EXPECT_NE(webhook_signature("secret", 1700000000, "{\"a\":1}"),
            webhook_signature("secret", 1700000001, "{\"a\":1}"));
}

TEST(Webhooks, EventListsTakeNamesPrefixesAndStar) {
  EXPECT_TRUE(webhook_wants("*", "exception.submit"));
  EXPECT_TRUE(webhook_wants("exception.*", "exception.submit"));
  EXPECT_TRUE(webhook_wants("reminder.expiry, exception.submit", "exception.submit"));
  EXPECT_FALSE(webhook_wants("reminder.*", "exception.submit"));
  EXPECT_FALSE(webhook_wants("exception.sub", "exception.submit"));
}

TEST(Calendar, LinesAreFoldedAndTextEscaped) {
  domain::ExceptionRequest r;
  r.ref = "EXC-2026-0001";
  r.content.title = std::string(100, 'x') + "; a, b\\ c\nd";
  r.decision_end_on = domain::parse_date("2026-12-31");
  const std::string ics =
      ical_end_dates({r}, NotificationSettings{}, *domain::parse_instant("2026-11-27T10:00:00Z"));
  EXPECT_NE(ics.find("DTSTART;VALUE=DATE:20261231\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTEND;VALUE=DATE:20270101\r\n"), std::string::npos);
  EXPECT_NE(ics.find("\\; a\\, b\\\\ c\\nd"), std::string::npos);
  std::size_t start = 0;
  while (start < ics.size()) {
    auto end = ics.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
    EXPECT_LE(end - start, 75u);
    start = end + 2;
  }
}

}  // namespace
}  // namespace waiver::app
