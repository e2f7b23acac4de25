// Owning handles for libcurl's easy handles and string lists.
#pragma once
#include <curl/curl.h>

#include <memory>

namespace waiver::net {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

}  // namespace waiver::net
