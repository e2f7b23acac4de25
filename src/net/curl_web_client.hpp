// The web client port over libcurl: HTTP and HTTPS only, no redirects, bounded time and size.
#pragma once
#include "app/web_client.hpp"

namespace waiver::net {

class CurlWebClient final : public app::WebClient {
 public:
  CurlWebClient();
  app::WebResponse send(const app::WebRequest& request) override;
};

}  // namespace waiver::net
