// The alert delivery path the end-to-end test relies on, checked on its own:
// a real Alertmanager routes a posted alert to the test's webhook receiver,
// labels and annotations intact, and reports its resolution.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "alertmanager_server.h"
#include "child_process.h"
#include "http_client.h"
#include "webhook_receiver.h"

namespace fairwatch::testing {
namespace {

std::string alert_json(const std::string& ends_at) {
  return R"([{"labels": {"alertname": "FairwatchAdverseImpact", "severity": "warning",)"
         R"( "attribute": "sex", "group": "female"},)"
         R"( "annotations": {"summary": "impact ratio 0.61"},)"
         R"( "endsAt": ")" +
         ends_at + R"("}])";
}

bool has_alert(const std::vector<WebhookNotification>& notifications, const std::string& status) {
  for (const WebhookNotification& notification : notifications) {
    for (const WebhookAlert& alert : notification.alerts) {
      if (alert.status == status && alert.label("alertname") == "FairwatchAdverseImpact" &&
          alert.label("group") == "female" && alert.annotation("summary") == "impact ratio 0.61") {
        return true;
      }
    }
  }
  return false;
}

TEST(AlertmanagerDelivery, RoutesAPostedAlertToTheWebhookAndResolvesIt) {
  WebhookReceiver webhook;
  ASSERT_TRUE(webhook.ok()) << webhook.error();
  AlertmanagerOptions options;
  options.webhook_url = webhook.url();
  auto started = AlertmanagerServer::start(options);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<AlertmanagerServer>>(started))
      << std::get<std::string>(started);
  const auto& alertmanager = std::get<std::unique_ptr<AlertmanagerServer>>(started);

  const HttpResponse posted = http_post("127.0.0.1", alertmanager->port(), "/api/v2/alerts",
                                        alert_json("2099-01-01T00:00:00Z"));
  ASSERT_EQ(posted.status, 200) << posted.error << posted.body;
  EXPECT_TRUE(wait_until([&] { return has_alert(webhook.notifications(), "firing"); },
                         std::chrono::seconds(20)))
      << alertmanager->log();

  const HttpResponse ended = http_post("127.0.0.1", alertmanager->port(), "/api/v2/alerts",
                                       alert_json("2000-01-01T00:00:00Z"));
  ASSERT_EQ(ended.status, 200) << ended.error << ended.body;
  EXPECT_TRUE(wait_until([&] { return has_alert(webhook.notifications(), "resolved"); },
                         std::chrono::seconds(20)))
      << alertmanager->log();
}

}  // namespace
}  // namespace fairwatch::testing
