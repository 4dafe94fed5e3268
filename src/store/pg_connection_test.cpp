// The PostgreSQL backend's SQL rewriting (no server needed; the engine tests cover the rest).
#include <gtest/gtest.h>

#include "pg_connection.hpp"

namespace ris::store {
namespace {

TEST(NumberPlaceholders, numbers_question_marks_in_order) {
  int n = 0;
  EXPECT_EQ(number_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", n),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(n, 3);
}

TEST(NumberPlaceholders, leaves_quoted_text_and_comments_alone) {
  int n = 0;
  EXPECT_EQ(number_placeholders("SELECT '?', 'it''s ?', \"odd?\" -- why?\nFROM t WHERE x = ?", n),
            "SELECT '?', 'it''s ?', \"odd?\" -- why?\nFROM t WHERE x = $1");
  EXPECT_EQ(n, 1);
}

TEST(NumberPlaceholders, an_unterminated_quote_keeps_the_rest_verbatim) {
  int n = 0;
  EXPECT_EQ(number_placeholders("SELECT ? WHERE a = 'open ?", n), "SELECT $1 WHERE a = 'open ?");
  EXPECT_EQ(n, 1);
}

TEST(NumberPlaceholders, no_placeholders) {
  int n = 7;
  EXPECT_EQ(number_placeholders("SELECT 1", n), "SELECT 1");
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace ris::store
