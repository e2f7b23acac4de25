#include "store/soci_types.hpp"

#include <gtest/gtest.h>

namespace waiver::store {
namespace {

using Pieces = std::vector<std::string>;

TEST(SplitCommas, GivesThePiecesInOrder) {
  EXPECT_EQ(split_commas("requester,security_compliance"), (Pieces{"requester", "security_compliance"}));
  EXPECT_EQ(split_commas("30,7,1"), (Pieces{"30", "7", "1"}));
  EXPECT_EQ(split_commas("42"), (Pieces{"42"}));
}

TEST(SplitCommas, LeavesOutEmptyPieces) {
  EXPECT_TRUE(split_commas("").empty());
  EXPECT_TRUE(split_commas(",").empty());
  EXPECT_EQ(split_commas("a,,b"), (Pieces{"a", "b"}));
  EXPECT_EQ(split_commas(",a,"), (Pieces{"a"}));
}

}  // namespace
}  // namespace waiver::store
