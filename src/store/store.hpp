#pragma once
// The paper store: the system of record for papers, their versions, external signals,
// daily listings and harvest progress, and for what users do (accounts.hpp). Implementations:
// store/sqlite (embedded default); a PostgreSQL store comes later. SQL stays portable (no
// SQLite-only syntax in queries that a PostgreSQL store would share).
//
// Thread safety: a Store object is used by one thread at a time; open one per thread.
// Several processes may open the same SQLite store; writers serialise on the database lock.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/paper.hpp"
#include "core/result.hpp"
#include "store/accounts.hpp"

namespace pb {

enum class UpsertOutcome { kAdded, kUpdated, kUnchanged };

// Progress of one OAI-PMH harvest, keyed by (endpoint, set, metadata prefix).
struct HarvestState {
  std::string key;              // endpoint|set|prefix
  std::string from_date;        // the harvest's from= argument ("" = none)
  std::string until_date;       // the harvest's until= argument ("" = none)
  std::string token;            // resumption token to continue with ("" = list finished)
  std::int64_t pages = 0;       // pages committed in this harvest
  std::int64_t records = 0;     // records committed in this harvest
  std::string completed_until;  // day up to which a harvest finished; the next --from default
  bool operator==(const HarvestState&) const = default;
};

struct CountBy {
  std::string key;
  std::int64_t count = 0;
};

struct StoreStats {
  std::int64_t papers = 0;
  std::int64_t versions = 0;
  std::int64_t signals = 0;
  std::int64_t daily_listings = 0;
  std::vector<CountBy> by_category;  // primary category, most papers first
  std::vector<CountBy> by_month;     // YYYY-MM of announcement (else submission), ascending
};

// A version of a paper as first seen: its title and abstract at that version.
struct VersionRecord {
  int version = 0;
  std::string created;
  std::string title;
  std::string abstract;
};

class Store : public AccountStore {
 public:
  ~Store() override = default;

  // Merges each paper into the store (see merge_paper) in one transaction: either the whole
  // batch and `state` are committed or nothing is. Returns one outcome per paper.
  virtual Result<std::vector<UpsertOutcome>> upsert(std::span<const Paper> papers,
                                                    const HarvestState* state = nullptr) = 0;
  virtual Result<std::optional<Paper>> get(std::string_view id) = 0;
  // The papers among `ids` that the store has, in the order of `ids`, each once (at its first
  // occurrence); a handful of queries in all, however many ids: pages hydrate through this.
  virtual Result<std::vector<Paper>> get_many(std::span<const std::string> ids) = 0;
  virtual Result<std::vector<VersionRecord>> version_history(std::string_view id) = 0;
  virtual Result<std::int64_t> count() = 0;
  virtual Result<StoreStats> stats() = 0;
  // Calls fn for every paper in id order until it returns false.
  virtual Status scan(const std::function<bool(const Paper&)>& fn) = 0;

  // Calls fn(paper, seq) for every paper changed after `after_seq`, in seq order, until fn
  // returns false. Indexes use this to catch up incrementally.
  virtual Status scan_changed(std::int64_t after_seq,
                              const std::function<bool(const Paper&, std::int64_t)>& fn) = 0;
  // The latest change counter value (0 for an empty store).
  virtual Result<std::int64_t> max_seq() = 0;

  virtual Result<std::optional<HarvestState>> harvest_state(std::string_view key) = 0;
  virtual Status save_harvest_state(const HarvestState& state) = 0;

  // Schema version after migrations.
  virtual int schema_version() const = 0;
};

struct StoreOptions {
  std::filesystem::path data_dir;  // created if missing
  bool read_only = false;
  // This connection's page cache. A server opens one connection per request thread: there a
  // small cache plus memory-mapped reads (shared by all connections through the OS page
  // cache) keep memory flat.
  int page_cache_mb = 64;
  int mmap_mb = 0;
};

// Opens (creating and migrating as needed) the embedded SQLite store in data_dir/paperboy.db.
Result<std::unique_ptr<Store>> open_sqlite_store(const StoreOptions& options);

}  // namespace pb
