#pragma once
// Versioned schema migrations. Each migration is applied once, in order, inside a
// transaction, and recorded in schema_migrations. Never edit a released migration: add one.

#include <span>
#include <string_view>

namespace pb::store_sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // portable SQL: TEXT/INTEGER columns, ON CONFLICT upserts
};

std::span<const Migration> migrations();

}  // namespace pb::store_sqlite
